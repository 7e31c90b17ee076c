"""A document accepted once is not measured again, and that never lets a costlier one through;
a document's text is validated once."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from strawberry.schema.schema import validate_document

from subgraphs.catalog.app import create_app
from subgraphs.platform import limits
from subgraphs.platform.limits import AcceptedDocuments, LimitOperations, variables_shape
from subgraphs.platform.schema import federation_schema
from subgraphs.platform.settings import Settings
from tests.conftest import SERVICE_TOKEN
from tests.graphql import post, serve
from tests.subgraphs.platform.test_errors import Query

PAGE = "query Page($n: Int!) { products(first: $n) { edges { node { id } } } }"
ENTITIES = (
    "query E($representations: [_Any!]!) { _entities(representations: $representations) "
    "{ ... on Product { id } } }"
)


def settings(tmp_path: Path, key: str, max_cost: int) -> Settings:
    return Settings(
        data_dir=tmp_path / str(max_cost),
        jwt_private_key=key,
        service_token=SERVICE_TOKEN,
        subgraph_max_cost=max_cost,
    )


def codes(body: dict[str, Any]) -> list[str]:
    return [error["extensions"]["code"] for error in body.get("errors", [])]


@pytest.fixture
def refusals(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The documents measured (not taken as accepted before), by their query text."""
    measured: list[str] = []
    original = LimitOperations._refusal

    def refusal(self: LimitOperations, document: Any) -> Any:
        measured.append(self.execution_context.query or "")
        return original(self, document)

    monkeypatch.setattr(LimitOperations, "_refusal", refusal)
    return measured


async def test_an_accepted_document_is_measured_once_per_shape_of_its_variables(
    tmp_path: Path, signing_key_pem: str, refusals: list[str]
) -> None:
    async with serve(create_app(settings(tmp_path, signing_key_pem, 1000))) as client:
        answers = [(await post(client, PAGE, {"n": n})).json() for n in (5, 5, 500, 5, 5.0, 500, 6)]
        headers = {"x-shopgraph-service-token": SERVICE_TOKEN}
        entities: list[list[str]] = []
        for count in (3, 3, 3000, 3):
            first = len(entities) * 10
            ids = [str(first + i) for i in range(count)]
            representations = [{"__typename": "Product", "id": id_} for id_ in ids]
            response = await client.post(
                "/graphql",
                json={"query": ENTITIES, "variables": {"representations": representations}},
                headers=headers,
            )
            entities.append(codes(response.json()))

    refused = ["COST_LIMIT_EXCEEDED"]
    assert [codes(answer) for answer in answers] == [
        [],
        [],
        refused,
        [],
        [],  # 5.0 runs as Int 5, but the estimate reads it otherwise: a shape of its own
        refused,
        [],
    ]
    assert entities == [[], [], refused, []]
    # Measured: n=5, n=500, n=5.0, n=500 again (a refusal is not remembered), n=6; then
    # 3 representations once (their ids differ each time: one shape) and 3000.
    assert refusals == [PAGE] * 5 + [ENTITIES] * 2


async def test_each_process_judges_by_its_own_limits(tmp_path: Path, signing_key_pem: str) -> None:
    # Both apps share the catalog's one schema object, hence its memory of documents.
    async with serve(create_app(settings(tmp_path, signing_key_pem, 1000))) as generous:
        accepted = (await post(generous, PAGE, {"n": 50})).json()
    async with serve(create_app(settings(tmp_path, signing_key_pem, 20))) as strict:
        refused = (await post(strict, PAGE, {"n": 50})).json()

    assert codes(accepted) == []
    assert codes(refused) == ["COST_LIMIT_EXCEEDED"]


def test_variables_shape_keeps_all_but_list_contents() -> None:
    assert variables_shape({"r": [{"id": "1"}, {"id": "2"}]}) == variables_shape(
        {"r": [{"id": "3"}, {"id": "4"}]}
    )
    assert variables_shape({"r": [1, 2]}) != variables_shape({"r": [1, 2, 3]})
    assert variables_shape({"n": 1}) != variables_shape({"n": 1.0})
    assert variables_shape({"n": 1}) != variables_shape({"n": True})
    assert variables_shape({"n": 1}) != variables_shape({"n": 2})
    assert variables_shape({"i": {"first": 1}}) != variables_shape({"i": {"first": 2}})
    assert variables_shape({"i": {"ids": ["a"]}}) == variables_shape({"i": {"ids": ["b"]}})


def test_variables_shape_reads_text_only_as_given_and_not_empty() -> None:
    # An id or an idempotency key, new on every request, keeps the shape.
    assert variables_shape({"key": "a", "card": {"cvc": "123"}}) == variables_shape(
        {"key": "b", "card": {"cvc": "999"}}
    )
    # The estimate reads a flag given as text as true unless empty, and null as not given.
    assert variables_shape({"flag": "x"}) != variables_shape({"flag": ""})
    assert variables_shape({"flag": ""}) != variables_shape({"flag": None})
    assert variables_shape({"n": "5"}) != variables_shape({"n": 5})


def test_accepted_documents_forget_the_least_recently_seen() -> None:
    accepted = AcceptedDocuments(2)
    accepted.add("a")
    accepted.add("b")
    assert "a" in accepted  # seen: now the most recent
    accepted.add("c")

    assert ["a" in accepted, "b" in accepted, "c" in accepted] == [True, False, True]


async def test_a_document_text_is_validated_once_whatever_its_variables(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    validated: list[str | None] = []

    def validate(schema: Any, document: Any, rules: Any) -> Any:
        validated.append(document.loc.source.body)
        return validate_document(schema, document, rules)

    monkeypatch.setattr(limits, "validate_document", validate)
    schema = federation_schema(Query)
    items = "query Q($n: Int!) { shelf { items(first: $n) } }"
    nope = "{ shelf { nope } }"

    answers = [
        await schema.execute(items, {"n": 2}),
        await schema.execute(items, {"n": "two"}),  # variables are checked when it runs
        await schema.execute(nope),
        await schema.execute(nope),
        await schema.execute(items, {"n": 1}),
    ]

    assert [(answer.data, [e.message for e in answer.errors or []]) for answer in answers] == [
        ({"shelf": {"items": [0, 1]}}, []),
        (
            None,
            ["Variable '$n' has invalid value: Int cannot represent non-integer value: 'two'"],
        ),
        (None, ["Cannot query field 'nope' on type 'Shelf'."]),
        (None, ["Cannot query field 'nope' on type 'Shelf'."]),
        ({"shelf": {"items": [0]}}, []),
    ]
    assert validated == [items, nope]
