"""Entity batches and merging, on plain data: paths, representations, dedupe, merge rules."""

from __future__ import annotations

from typing import Any

from router.execution.coverage import materialize
from router.execution.entities import Located, entity_batch, objects_at
from router.execution.merge import merge_into
from router.supergraph import load_supergraph
from tests.router.execution.shop import SDL, selection_set

SCHEMA = load_supergraph(SDL).schema


def test_paths_step_through_keys_lists_and_type_conditions() -> None:
    data: dict[str, Any] = {
        "search": [
            {"__typename": "Shop", "name": "A", "owner": {"id": "u1"}},
            {"__typename": "Product", "upc": "1"},
            {"__typename": "Shop", "name": "B", "owner": None},
        ],
        "nested": [[{"id": 1}], [{"id": 2}, {"id": 3}]],
    }

    owners = objects_at(data, ("search", "@", "|Shop", "owner"))
    products = objects_at(data, ("search", "@", "|Product,Book"))
    nested = objects_at(data, ("nested", "@", "@"))
    implicit = objects_at(data, ("nested",))  # lists the path does not mark are walked too

    assert [(obj, materialize(at)) for obj, at in owners] == [
        ({"id": "u1"}, ["search", 0, "owner"])
    ]
    assert [(obj, materialize(at)) for obj, at in products] == [
        ({"__typename": "Product", "upc": "1"}, ["search", 1])
    ]
    expected = [["nested", 0, 0], ["nested", 1, 0], ["nested", 1, 1]]
    assert [materialize(at) for _, at in nested] == expected
    assert [materialize(at) for _, at in implicit] == expected


def test_representations_follow_requires_per_type_and_dedupe() -> None:
    requires = selection_set(
        "... on Product { __typename upc price } ... on Shop { __typename name owner { id } }"
    )
    objects: list[Located] = [
        ({"__typename": "Product", "upc": "1", "price": 3, "name": "x"}, ("a", 0)),
        ({"__typename": "Shop", "name": "S", "owner": {"id": "u1", "name": "n"}}, ("a", 1)),
        ({"__typename": "Product", "upc": "1", "price": 3}, ("a", 2)),
        ({"__typename": "Product", "upc": "2"}, ("a", 3)),  # no price: cannot be represented
        ({"__typename": "User", "id": "u9"}, ("a", 4)),  # no fragment for User: not sent
    ]

    batch = entity_batch(objects, requires, SCHEMA)

    assert batch.representations == [
        {"__typename": "Product", "upc": "1", "price": 3},
        {"__typename": "Shop", "name": "S", "owner": {"id": "u1"}},
    ]
    assert [[at for _, at in targets] for targets in batch.targets] == [
        [("a", 0), ("a", 2)],
        [("a", 1)],
    ]
    assert batch.unrepresentable == [("a", 3)]


def test_interface_conditions_match_implementations_and_renames_apply() -> None:
    requires = selection_set("... on Catalog { __typename id }")
    objects: list[Located] = [({"__typename": "Book", "id": "b1", "title": "Dune"}, ("catalog", 0))]

    batch = entity_batch(objects, requires, SCHEMA, rename_typename_to="Catalog")

    assert batch.representations == [{"__typename": "Catalog", "id": "b1"}]


def test_merging_adds_keys_merges_objects_and_lists_and_keeps_data() -> None:
    target: dict[str, Any] = {
        "__typename": "Media",
        "id": "b1",
        "tags": [{"name": "a"}, {"name": "b"}],
        "author": {"id": "u1"},
        "title": "Dune",
    }
    merge_into(
        target,
        {
            "__typename": "Book",  # the owner of an @interfaceObject tells the real type
            "rating": 5,
            "tags": [{"weight": 1}, {"weight": 2}],
            "author": {"name": "Frank"},
            "title": None,
        },
    )

    assert target == {
        "__typename": "Book",
        "id": "b1",
        "tags": [{"name": "a", "weight": 1}, {"name": "b", "weight": 2}],
        "author": {"id": "u1", "name": "Frank"},
        "title": "Dune",
        "rating": 5,
    }


def test_representations_equal_in_python_but_not_in_json_stay_apart() -> None:
    requires = selection_set("... on Product { __typename upc }")
    objects: list[Located] = [
        ({"__typename": "Product", "upc": "1"}, ("a", 0)),
        ({"__typename": "Product", "upc": 1}, ("a", 1)),
        ({"__typename": "Product", "upc": True}, ("a", 2)),
        ({"__typename": "Product", "upc": 1.0}, ("a", 3)),
        ({"__typename": "Product", "upc": "1"}, ("a", 4)),
    ]

    batch = entity_batch(objects, requires, SCHEMA)

    assert batch.representations == [
        {"__typename": "Product", "upc": "1"},
        {"__typename": "Product", "upc": 1},
        {"__typename": "Product", "upc": True},
        {"__typename": "Product", "upc": 1.0},
    ]
    assert [[at for _, at in targets] for targets in batch.targets] == [
        [("a", 0), ("a", 4)],
        [("a", 1)],
        [("a", 2)],
        [("a", 3)],
    ]
