"""`_entities` with entity types that resolve all their representations in one call."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.types import Info

from subgraphs.platform.schema import federation_schema

ENTITIES = """
query Entities($representations: [_Any!]!) {
  _entities(representations: $representations) {
    ... on Shelf { id label }
    ... on Box { id }
  }
}"""

asked: list[list[dict[str, object]]] = []


@strawberry.federation.type(keys=["id"])
class Shelf:
    id: strawberry.ID
    label: str

    @classmethod
    async def resolve_references(
        cls, info: Info[Any, None], keys: list[dict[str, object]]
    ) -> list[Shelf | None]:
        asked.append(keys)
        if any(key["id"] == "broken" for key in keys):
            raise RuntimeError("the shelves are unreachable")
        return [
            None if key["id"] == "gone" else cls(id=strawberry.ID(str(key["id"])), label="top")
            for key in keys
        ]


@strawberry.federation.type(keys=["id"])
class Box:
    id: strawberry.ID

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> Box:
        return cls(id=id)


@strawberry.type
class Query:
    @strawberry.field
    def ping(self) -> bool:
        return True


schema = federation_schema(query=Query, types=[Shelf, Box])


async def _entities(representations: list[object]) -> Any:
    asked.clear()
    return await schema.execute(ENTITIES, variable_values={"representations": representations})


async def test_one_call_per_batched_type_and_every_answer_at_its_index() -> None:
    result = await _entities(
        [
            {"__typename": "Shelf", "id": "s1"},
            {"__typename": "Box", "id": "b1"},
            {"__typename": "Shelf", "id": "gone"},
            {"__typename": "Shelf"},
            {"__typename": "Shelf", "id": "s2"},
        ]
    )

    assert asked == [[{"id": "s1"}, {"id": "gone"}, {"id": "s2"}]]
    assert result.data == {
        "_entities": [
            {"id": "s1", "label": "top"},
            {"id": "b1"},
            None,
            None,
            {"id": "s2", "label": "top"},
        ]
    }
    assert [(e.path, (e.extensions or {}).get("code")) for e in result.errors or []] == [
        (["_entities", 3], "INVALID_REPRESENTATION")
    ]


async def test_a_failed_batch_is_an_error_at_each_of_its_indices_only() -> None:
    result = await _entities(
        [
            {"__typename": "Shelf", "id": "broken"},
            {"__typename": "Box", "id": "b1"},
            {"__typename": "Shelf", "id": "s1"},
        ]
    )

    assert result.data == {"_entities": [None, {"id": "b1"}, None]}
    assert sorted(e.path for e in result.errors or []) == [["_entities", 0], ["_entities", 2]]
