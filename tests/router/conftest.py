"""`shop` (`shopgraph dev` on a real port) for every router test that needs whole subgraphs."""

from tests.router.subscriptions.conftest import shop

__all__ = ["shop"]
