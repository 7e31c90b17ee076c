"""Comparing two supergraphs: client-visible changes on the API schema, plus entity keys
and the access rules the router enforces on fields.

Elements marked `@inaccessible` are not in the API schema, so changing them
is internal and reports nothing; hiding a field clients used is a removal.
"""

from __future__ import annotations

from router.supergraph import load_supergraph
from shopgraph.schema_registry.access import diff_access
from shopgraph.schema_registry.changes import Change
from shopgraph.schema_registry.diff import diff_schemas
from shopgraph.schema_registry.keys import diff_keys


def compare_supergraphs(old_sdl: str, new_sdl: str) -> list[Change]:
    old, new = load_supergraph(old_sdl), load_supergraph(new_sdl)
    return sorted(
        [
            *diff_schemas(old.api_schema, new.api_schema),
            *diff_keys(old, new),
            *diff_access(old, new),
        ]
    )
