"""Harness for the router's specification corpus: test subgraphs, composition, case runner."""

from tests.router.harness.case import RouterCase, assert_response, plan_text, run_case
from tests.router.harness.composition import COMPOSERS, Composer, compose_supergraph
from tests.router.harness.server import RecordedRequest, ServedSubgraphs, serve_subgraphs
from tests.router.harness.subgraph import Subgraph, SubgraphSpec, federation_sdl

__all__ = [
    "COMPOSERS",
    "Composer",
    "RecordedRequest",
    "RouterCase",
    "ServedSubgraphs",
    "Subgraph",
    "SubgraphSpec",
    "assert_response",
    "compose_supergraph",
    "federation_sdl",
    "plan_text",
    "run_case",
    "serve_subgraphs",
]
