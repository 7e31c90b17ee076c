"""Malformed `_entities` representations are clear errors at their index, not internal ones."""

from __future__ import annotations

from typing import Any

import pytest

from tests.subgraphs.commerce.conftest import Shop
from tests.subgraphs.commerce.test_access import ORDER_ENTITIES


@pytest.mark.parametrize(
    ("representation", "message"),
    [
        ({"id": "o1"}, "representation 0 has no __typename"),
        ({"__typename": 5, "id": "o1"}, "representation 0 has no __typename"),
        (
            {"__typename": "Nope", "id": "o1"},
            "representation 0 names 'Nope', which is not an entity of this subgraph",
        ),
        (
            {"__typename": "Money", "amount": "1"},
            "representation 0 names 'Money', which is not an entity of this subgraph",
        ),
        ({"__typename": "Order"}, "representation 0 lacks the key fields of Order"),
        ("Order:o1", "representation 0 is not an object"),
    ],
)
async def test_a_malformed_representation_is_an_invalid_representation_error(
    shop: Shop, representation: Any, message: str
) -> None:
    body = await shop.query(ORDER_ENTITIES, {"representations": [representation]})

    assert body == {
        "data": {"_entities": [None]},
        "errors": [
            {
                "message": message,
                "locations": [{"line": 3, "column": 3}],
                "path": ["_entities", 0],
                "extensions": {"code": "INVALID_REPRESENTATION"},
            }
        ],
    }


async def test_good_representations_beside_a_bad_one_still_resolve(shop: Shop) -> None:
    representations = [{"id": "x"}, {"__typename": "Order", "id": "no-such-order"}]
    body = await shop.query(ORDER_ENTITIES, {"representations": representations}, shop.staff_token)

    assert body["data"] == {"_entities": [None, None]}
    assert [(e["path"], e["extensions"]["code"]) for e in body["errors"]] == [
        (["_entities", 0], "INVALID_REPRESENTATION")
    ]
