"""A Federation v2 supergraph as the router uses it: subgraphs, ownership, API schema."""

from router.supergraph.loader import SupergraphError, load_supergraph
from router.supergraph.model import FieldMeta, FieldSource, Graph, Key, Supergraph, TypeMeta

__all__ = [
    "FieldMeta",
    "FieldSource",
    "Graph",
    "Key",
    "Supergraph",
    "SupergraphError",
    "TypeMeta",
    "load_supergraph",
]
