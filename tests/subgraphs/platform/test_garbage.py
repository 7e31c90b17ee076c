"""A subgraph's operation leaves no garbage in reference cycles.

Objects in a cycle outlive their request until the cyclic collector finds
them, and under load those collections were 18 % of commerce's samples (py-spy). What
the request built must go with its response, by reference counting alone.
"""

from __future__ import annotations

import gc
import weakref
from typing import Any

import pytest
import strawberry
from strawberry.types import Info

from subgraphs.platform.plain_fields import PlainFieldsExecutor
from subgraphs.platform.schema import federation_schema


@strawberry.type
class Owner:
    name: str


@strawberry.federation.type(keys=["id"])
class Box:
    id: strawberry.ID
    label: str
    owner: Owner

    @classmethod
    def resolve_reference(cls, info: Info[Any, None], id: strawberry.ID) -> Box:
        return _box(id)


def _box(id_: str) -> Box:
    return Box(id=strawberry.ID(id_), label="top", owner=Owner(name="Ada"))


@strawberry.type
class Query:
    @strawberry.field
    async def boxes(self) -> list[Box]:
        return [_box("b1"), _box("b2")]


@strawberry.type
class Mutation:
    @strawberry.mutation
    async def label(self, id: strawberry.ID, label: str) -> Box:
        box = _box(id)
        box.label = label
        return box


schema = federation_schema(query=Query, mutation=Mutation, types=[Box])

OPERATIONS = [
    ("{ __typename }", None),
    ("{ boxes { id label owner { name } } }", None),
    ('mutation { label(id: "b1", label: "new") { id label owner { name } } }', None),
    (
        "query E($r: [_Any!]!) { _entities(representations: $r) { ... on Box { id label } } }",
        {"r": [{"__typename": "Box", "id": "b1"}, {"__typename": "Box", "id": "b2"}]},
    ),
]


async def _run(operation: str, variables: Any) -> None:
    # Fresh variables each run: Strawberry wrote into the representations it was given.
    copied = None if variables is None else {"r": [dict(each) for each in variables["r"]]}
    result = await schema.execute(operation, variable_values=copied)
    assert result.errors is None, result.errors


@pytest.mark.parametrize(("operation", "variables"), OPERATIONS)
async def test_an_operations_executor_goes_with_its_response(
    operation: str, variables: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The executor is what every object of the operation hangs on: freed by reference
    # counting alone (the collector is off), nothing of the operation is in a cycle.
    executors: list[weakref.ref[PlainFieldsExecutor]] = []
    built = PlainFieldsExecutor.__init__

    def recorded(self: PlainFieldsExecutor, *args: Any, **kwargs: Any) -> None:
        built(self, *args, **kwargs)
        executors.append(weakref.ref(self))

    monkeypatch.setattr(PlainFieldsExecutor, "__init__", recorded)
    gc.disable()
    try:
        for _ in range(3):
            await _run(operation, variables)
        alive = sum(ref() is not None for ref in executors)
    finally:
        gc.enable()
    assert len(executors) == 3
    assert alive == 0
