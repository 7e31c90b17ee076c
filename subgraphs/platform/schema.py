"""How every subgraph builds its Strawberry federation v2 schema."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Literal

from strawberry.extensions import ParserCache, SchemaExtension
from strawberry.federation import Schema

from subgraphs.platform.errors import MaskInternalErrors
from subgraphs.platform.limits import LimitOperations, OperationLimits, SchemaCosts

# The newest version other federation tools here accept too (The Guild's
# composition stops at 2.9); it has every directive shopgraph uses.
FEDERATION_VERSION: Literal["2.9"] = "2.9"


def federation_schema(
    query: type,
    mutation: type | None = None,
    subscription: type | None = None,
    types: Iterable[type] = (),
    limits: OperationLimits = OperationLimits(),
) -> Schema:
    # Documents repeat (routers send the same few); parsing and validation are
    # cached per document so each is done once; a document past the limits is
    # neither validated nor run.
    costs = SchemaCosts(limits.cost_list_size)
    extensions: list[Callable[[], SchemaExtension]] = [
        MaskInternalErrors,
        lambda: ParserCache(maxsize=1000),
        lambda: LimitOperations(limits=limits, costs=costs, cache_size=1000),
    ]
    schema = Schema(
        query=query,
        mutation=mutation,
        subscription=subscription,
        types=list(types),
        extensions=extensions,
        federation_version=FEDERATION_VERSION,
    )
    costs.load(schema)
    return schema
