"""`shopgraph dev`: every subgraph and the router in one app, over real HTTP."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

REGISTER = """
mutation Register($input: RegisterInput!) {
  register(input: $input) { user { id username email } accessToken errors { code } }
}"""


async def test_the_supergraph_answers_at_graphql(dev: httpx.AsyncClient) -> None:
    variables = {
        "input": {"username": "walt", "email": "walt@example.com", "password": "long enough"}
    }
    registered = (
        await dev.post("/graphql", json={"query": REGISTER, "variables": variables})
    ).json()
    payload = registered["data"]["register"]
    assert payload["errors"] == []
    assert payload["user"]["username"] == "walt"
    assert payload["user"]["email"] == "walt@example.com"

    token = payload["accessToken"]
    me = await dev.post(
        "/graphql",
        json={"query": "{ me { id username email role } }"},
        headers={"authorization": f"Bearer {token}"},
    )
    assert me.json() == {
        "data": {
            "me": {
                "id": payload["user"]["id"],
                "username": "walt",
                "email": "walt@example.com",
                "role": "CUSTOMER",
            }
        }
    }


async def test_subgraph_errors_reach_the_client_with_the_service_name(
    dev: httpx.AsyncClient,
) -> None:
    body = (await dev.post("/graphql", json={"query": "{ me { username } }"})).json()
    assert body["data"] == {"me": None}
    [error] = body["errors"]
    assert error["path"] == ["me"]
    assert error["extensions"]["code"] == "UNAUTHENTICATED"
    assert error["extensions"]["serviceName"] == "users"


async def test_a_bad_token_is_refused_by_the_router_itself(dev: httpx.AsyncClient) -> None:
    response = await dev.post(
        "/graphql", json={"query": "{ me { username } }"}, headers={"authorization": "Bearer nope"}
    )
    assert response.status_code == 401
    assert response.json() == {
        "errors": [
            {"message": "The bearer token is invalid.", "extensions": {"code": "UNAUTHENTICATED"}}
        ]
    }


async def test_each_subgraph_is_also_served_under_its_path(dev: httpx.AsyncClient) -> None:
    assert (await dev.get("/")).json() == {
        "graphql": "/graphql",
        "subgraphs": {
            "users": "/subgraphs/users/graphql",
            "catalog": "/subgraphs/catalog/graphql",
            "commerce": "/subgraphs/commerce/graphql",
            "social": "/subgraphs/social/graphql",
            "insights": "/subgraphs/insights/graphql",
        },
    }
    sdl = await dev.post("/subgraphs/users/graphql", json={"query": "{ _service { sdl } }"})
    assert 'type User @key(fields: "id")' in sdl.json()["data"]["_service"]["sdl"]
    assert (await dev.get("/subgraphs/users/readyz")).status_code == 200
    assert (await dev.get("/readyz")).status_code == 200


async def test_graphiql_is_served_offline(dev: httpx.AsyncClient) -> None:
    page = await dev.get("/graphql", headers={"accept": "text/html"})
    assert page.status_code == 200
    assert "graphiql" in page.text.lower()
    assert "https://" not in page.text
    assert "http://" not in page.text


SEARCH = """
query Search($q: String!, $first: Int, $after: String, $filter: ProductFilter) {
  searchProducts(query: $q, first: $first, after: $after, filter: $filter) {
    edges { cursor node { id name price { amount } inStock category { id name } } }
    pageInfo { hasNextPage endCursor }
    totalCount
    facets { name values { value label count } }
  }
}"""


async def _search(dev: httpx.AsyncClient, **variables: object) -> dict[str, Any]:
    body = (await dev.post("/graphql", json={"query": SEARCH, "variables": variables})).json()
    assert "errors" not in body, body
    result: dict[str, Any] = body["data"]["searchProducts"]
    return result


async def _indexed(dev: httpx.AsyncClient) -> None:
    """The demo catalog reaches the index through events: wait until all of it has."""
    for _ in range(200):
        if (await _search(dev, q="", first=1))["totalCount"] == 240:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the seeded catalog was not indexed")


async def test_a_typo_finds_the_product_through_the_router(dev: httpx.AsyncClient) -> None:
    await _indexed(dev)
    result = await _search(dev, q="runing shoes", first=5)
    assert result["edges"][0]["node"]["name"] == "Running Shoes"


async def test_facet_counts_match_the_filtered_results(dev: httpx.AsyncClient) -> None:
    await _indexed(dev)
    result = await _search(dev, q="shoes", first=100)
    nodes = [edge["node"] for edge in result["edges"]]
    assert result["totalCount"] == len(nodes)
    facets = {facet["name"]: facet["values"] for facet in result["facets"]}
    by_category = {v["label"]: v["count"] for v in facets["category"]}
    assert sum(by_category.values()) == len(nodes)
    for label, count in by_category.items():
        assert count == sum(1 for n in nodes if n["category"]["name"] == label)
    in_stock = {v["value"]: v["count"] for v in facets["inStock"]}
    assert in_stock.get("true", 0) == sum(1 for n in nodes if n["inStock"])
    footwear = next(v["value"] for v in facets["category"] if v["label"] == "Footwear")
    filtered = await _search(dev, q="shoes", first=100, filter={"categoryId": footwear})
    assert filtered["totalCount"] == by_category["Footwear"]


async def test_search_pages_never_repeat_or_skip(dev: httpx.AsyncClient) -> None:
    await _indexed(dev)
    everything = await _search(dev, q="a", first=100)
    seen: list[str] = []
    after = None
    while True:
        page = await _search(dev, q="a", first=7, after=after)
        seen += [edge["node"]["id"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert len(seen) == len(set(seen)) == min(everything["totalCount"], 10_000)
