"""`shopgraph dev`: every subgraph in one app, sharing one platform."""

from __future__ import annotations

from shopgraph.dev import create_dev_app
from subgraphs.platform.settings import Settings
from tests.graphql import execute, serve

REGISTER = """
mutation { register(input: {username: "walt", email: "walt@example.com", password: "long enough"}) {
  accessToken errors { code } } }"""


async def test_dev_serves_the_users_subgraph_under_its_path(settings: Settings) -> None:
    async with serve(create_dev_app(settings)) as client:
        index = (await client.get("/")).json()
        assert index == {"subgraphs": {"users": "/subgraphs/users/graphql"}}

        registered = await execute(client, REGISTER, path="/subgraphs/users/graphql")
        token = registered["data"]["register"]["accessToken"]
        me = await execute(
            client, "{ me { username } }", token=token, path="/subgraphs/users/graphql"
        )
        assert me == {"data": {"me": {"username": "walt"}}}
        assert (await client.get("/subgraphs/users/readyz")).status_code == 200


async def test_dev_serves_graphiql_to_browsers(settings: Settings) -> None:
    async with serve(create_dev_app(settings)) as client:
        page = await client.get("/subgraphs/users/graphql", headers={"accept": "text/html"})
    assert page.status_code == 200
    assert "graphiql" in page.text.lower()
