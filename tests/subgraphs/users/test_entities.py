"""The `User` entity as the router fetches it: `_entities`, batched into one statement."""

from __future__ import annotations

import uuid

from subgraphs.platform.columns import utc_now
from subgraphs.users.models import UserRow
from tests.graphql import execute
from tests.statements import recorded_statements
from tests.subgraphs.users.conftest import UsersSubgraph

ENTITIES = """
query Entities($representations: [_Any!]!) {
  _entities(representations: $representations) { ... on User { id username } }
}"""


async def _insert_users(users: UsersSubgraph, count: int) -> list[str]:
    rows = [
        UserRow(
            id=str(uuid.uuid4()),
            username=f"user{n}",
            username_key=f"user{n}",
            email=f"user{n}@example.com",
            email_key=f"user{n}@example.com",
            password_hash="not used",
            role="CUSTOMER",
            created_at=utc_now(),
        )
        for n in range(count)
    ]
    async with users.services.database.session() as session:
        session.add_all(rows)
    return [row.id for row in rows]


async def test_a_hundred_users_cost_one_statement(users: UsersSubgraph) -> None:
    ids = await _insert_users(users, 100)
    representations = [{"__typename": "User", "id": user_id} for user_id in ids]

    with recorded_statements(users.services.database.engine) as statements:
        body = await execute(users.client, ENTITIES, {"representations": representations})

    assert len(statements) == 1, statements
    assert body == {
        "data": {
            "_entities": [{"id": user_id, "username": f"user{n}"} for n, user_id in enumerate(ids)]
        }
    }


async def test_unknown_and_repeated_representations(users: UsersSubgraph) -> None:
    [known] = await _insert_users(users, 1)
    unknown = str(uuid.uuid4())
    representations = [{"__typename": "User", "id": i} for i in (known, unknown, known)]

    with recorded_statements(users.services.database.engine) as statements:
        body = await execute(users.client, ENTITIES, {"representations": representations})

    assert len(statements) == 1
    user = {"id": known, "username": "user0"}
    assert body == {"data": {"_entities": [user, None, user]}}


async def test_service_sdl_declares_the_user_key(users: UsersSubgraph) -> None:
    body = await execute(users.client, "{ _service { sdl } }")
    sdl = body["data"]["_service"]["sdl"]
    assert 'type User @key(fields: "id")' in sdl
    assert '@link(url: "https://specs.apollo.dev/federation/v2' in sdl
