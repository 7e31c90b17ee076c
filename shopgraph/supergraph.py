"""Composing this installation's subgraphs into the supergraph the router serves."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from router.composition import CompositionError, SubgraphSource, compose
from shopgraph.registry import SUBGRAPHS, SubgraphEntry


class CompositionFailed(Exception):
    def __init__(self, errors: Sequence[CompositionError]) -> None:
        super().__init__(f"{len(errors)} composition error(s)")
        self.errors = tuple(errors)


def local_url(entry: SubgraphEntry) -> str:
    """Where `shopgraph serve NAME` listens by default."""
    return f"http://127.0.0.1:{entry.port}/graphql"


def compose_subgraphs(url_of: Callable[[SubgraphEntry], str] = local_url) -> str:
    """The supergraph SDL of every registered subgraph, each reached at `url_of(entry)`."""
    sources = [SubgraphSource(e.name, url_of(e), e.sdl()) for e in SUBGRAPHS.values()]
    result = compose(sources)
    if result.errors or result.supergraph_sdl is None:
        raise CompositionFailed(result.errors)
    return result.supergraph_sdl
