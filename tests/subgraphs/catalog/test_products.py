"""Products over HTTP: staff changes, validation, soft delete, entities."""

from __future__ import annotations

import pytest

from tests.statements import recorded_statements
from tests.subgraphs.catalog.conftest import CREATE, CatalogSubgraph

PRODUCT = (
    "query P($id: ID!) { product(id: $id) { id name price { amount currency } stock inStock } }"
)
UPDATE = """
mutation U($id: ID!, $input: ProductUpdateInput!) {
  updateProduct(id: $id, input: $input) { product { id name price { amount } stock inStock } errors { code } }
}"""
DELETE = "mutation D($id: ID!) { deleteProduct(id: $id) { deletedId errors { code } } }"
ENTITIES = """
query E($representations: [_Any!]!) {
  _entities(representations: $representations) { ... on Product { id name category { name } } }
}"""


async def test_staff_create_a_product(catalog: CatalogSubgraph) -> None:
    payload = await catalog.create(name="  Running Shoes ", price="89.9", stock=3)
    assert payload["errors"] == []
    product = payload["product"]
    assert product["name"] == "Running Shoes"
    assert product["price"] == {"amount": "89.90", "currency": "USD"}  # shown in cents
    assert product["stock"] == 3
    assert product["inStock"] is True
    fetched = await catalog.query(PRODUCT, {"id": product["id"]})
    assert fetched["data"]["product"]["price"] == {"amount": "89.90", "currency": "USD"}


@pytest.mark.parametrize("price", ["-0", "0", "0.00", "-0.00"])
async def test_a_zero_price_is_stored_unsigned(catalog: CatalogSubgraph, price: str) -> None:
    payload = await catalog.create(price=price)
    assert payload["errors"] == []
    fetched = await catalog.query(PRODUCT, {"id": payload["product"]["id"]})
    assert fetched["data"]["product"]["price"] == {"amount": "0.00", "currency": "USD"}


@pytest.mark.parametrize("who", ["customer", "anonymous"])
async def test_only_staff_change_the_catalog(catalog: CatalogSubgraph, who: str) -> None:
    token = catalog.customer_token if who == "customer" else None
    variables = {"input": {"name": "X", "description": "Y", "price": "1.00", "stock": 1}}
    created = (await catalog.query(CREATE, variables, token))["data"]["createProduct"]
    assert created == {
        "product": None,
        "errors": [
            {"field": None, "code": "FORBIDDEN", "message": "only staff may change the catalog"}
        ],
    }

    existing = (await catalog.create())["product"]["id"]
    updated = await catalog.query(UPDATE, {"id": existing, "input": {"stock": 0}}, token)
    deleted = await catalog.query(DELETE, {"id": existing}, token)
    assert updated["data"]["updateProduct"]["errors"] == [{"code": "FORBIDDEN"}]
    assert deleted["data"]["deleteProduct"]["errors"] == [{"code": "FORBIDDEN"}]
    after = await catalog.query(PRODUCT, {"id": existing})
    assert after["data"]["product"]["stock"] == 5


@pytest.mark.parametrize(
    ("fields", "codes"),
    [
        ({"name": "   "}, ["NAME_REQUIRED"]),
        ({"name": "x" * 201}, ["NAME_TOO_LONG"]),
        ({"description": "x" * 10_001}, ["DESCRIPTION_TOO_LONG"]),
        ({"price": "-0.01"}, ["NEGATIVE_PRICE"]),
        ({"price": "1E+400"}, ["PRICE_TOO_HIGH"]),
        ({"price": "NaN"}, ["INVALID_PRICE"]),
        ({"price": "Infinity"}, ["INVALID_PRICE"]),
        ({"price": "-Infinity"}, ["INVALID_PRICE"]),
        ({"price": "0.001"}, ["INVALID_PRICE"]),
        ({"price": "89.999"}, ["INVALID_PRICE"]),
        ({"stock": -1}, ["NEGATIVE_STOCK"]),
        ({"currency": "XYZ"}, ["UNKNOWN_CURRENCY"]),
        ({"categoryId": "no-such-category"}, ["UNKNOWN_CATEGORY"]),
        (
            {"name": "", "price": "-5", "stock": -2},
            ["NAME_REQUIRED", "NEGATIVE_PRICE", "NEGATIVE_STOCK"],
        ),
    ],
)
async def test_invalid_products_say_why_and_write_nothing(
    catalog: CatalogSubgraph, fields: dict[str, object], codes: list[str]
) -> None:
    payload = await catalog.create(**fields)
    assert [error["code"] for error in payload["errors"]] == codes
    assert payload["product"] is None
    listed = await catalog.query("{ products { totalCount } }")
    assert listed["data"]["products"]["totalCount"] == 0


async def test_update_changes_only_what_is_given(catalog: CatalogSubgraph) -> None:
    product = (await catalog.create(name="Mug", price="12.00", stock=4))["product"]
    changed = await catalog.query(
        UPDATE, {"id": product["id"], "input": {"stock": 0}}, catalog.staff_token
    )
    assert changed["data"]["updateProduct"] == {
        "product": {
            "id": product["id"],
            "name": "Mug",
            "price": {"amount": "12.00"},
            "stock": 0,
            "inStock": False,
        },
        "errors": [],
    }
    invalid = await catalog.query(
        UPDATE, {"id": product["id"], "input": {"price": "-1"}}, catalog.staff_token
    )
    assert invalid["data"]["updateProduct"]["errors"] == [{"code": "NEGATIVE_PRICE"}]
    missing = await catalog.query(
        UPDATE, {"id": "nope", "input": {"stock": 1}}, catalog.staff_token
    )
    assert missing["data"]["updateProduct"]["errors"] == [{"code": "PRODUCT_NOT_FOUND"}]


async def test_deleted_products_leave_lists_but_still_resolve_as_entities(
    catalog: CatalogSubgraph,
) -> None:
    product = (await catalog.create(name="Old Lamp"))["product"]
    deleted = await catalog.query(DELETE, {"id": product["id"]}, catalog.staff_token)
    assert deleted["data"]["deleteProduct"] == {"deletedId": product["id"], "errors": []}
    again = await catalog.query(DELETE, {"id": product["id"]}, catalog.staff_token)
    assert again["data"]["deleteProduct"]["errors"] == [{"code": "PRODUCT_NOT_FOUND"}]

    assert (await catalog.query(PRODUCT, {"id": product["id"]}))["data"] == {"product": None}
    assert (await catalog.query("{ products { totalCount } }"))["data"]["products"][
        "totalCount"
    ] == 0
    representations = [{"__typename": "Product", "id": product["id"]}]
    entities = await catalog.query(ENTITIES, {"representations": representations})
    assert entities["data"]["_entities"] == [
        {"id": product["id"], "name": "Old Lamp", "category": None}
    ]


async def test_entities_cost_one_statement_per_batch(catalog: CatalogSubgraph) -> None:
    ids = [(await catalog.create(name=f"P{n}"))["product"]["id"] for n in range(30)]
    representations = [{"__typename": "Product", "id": i} for i in [*ids, "unknown", ids[0]]]
    await catalog.indexed()
    with recorded_statements(catalog.services.database.engine) as statements:
        body = await catalog.query(ENTITIES, {"representations": representations})
    assert len(statements) == 1, statements
    names = [e["name"] if e else None for e in body["data"]["_entities"]]
    assert names == [*[f"P{n}" for n in range(30)], None, "P0"]


async def test_migrations_create_exactly_the_models(catalog: CatalogSubgraph) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from subgraphs.catalog.models import metadata

    def differences(connection: object) -> list[object]:
        # The search index keeps its own tables in this database; they are not models.
        context = MigrationContext.configure(
            connection,  # type: ignore[arg-type]  # the sync Connection run_sync hands over
            opts={
                "include_name": lambda name, kind, _: (
                    kind != "table" or not name.startswith("search_")
                )
            },
        )
        return list(compare_metadata(context, metadata))

    async with catalog.services.database.engine.connect() as connection:
        assert await connection.run_sync(differences) == []
