"""@authenticated, @requiresScopes and @policy enforced by the router before planning."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import jwt
import pytest
from aiohttp import web
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.rsa import generate_private_key
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from router.composition import SubgraphSource, compose
from router.config import RouterConfig
from router.gateway import Gateway
from router.operation import GraphQLRequest
from router.policies import Caller
from router.supergraph import load_supergraph
from tests.router.harness import ServedSubgraphs, SubgraphSpec, federation_sdl, serve_subgraphs

IMPORTS = ("@key", "@authenticated", "@requiresScopes", "@policy")
PRODUCTS = SubgraphSpec(
    name="products",
    sdl=federation_sdl(
        """
        type Query { products: [Product]! me: User }
        type Product @key(fields: "id") {
          id: ID!
          name: String!
          secret: String @requiresScopes(scopes: [["staff"], ["read:secret"]])
          sku: String! @requiresScopes(scopes: [["staff"]])
        }
        type User @key(fields: "id") @authenticated { id: ID! email: String }
        """,
        version="v2.6",
        imports=IMPORTS,
    ),
    data={
        "Query": {"products": [{"id": "1"}, {"id": "2"}], "me": {"id": "u1"}},
        "Product": [
            {"id": "1", "name": "Lamp", "secret": "s1", "sku": "L-1"},
            {"id": "2", "name": "Desk", "secret": "s2", "sku": "D-2"},
        ],
        "User": [{"id": "u1", "email": "ann@example.com"}],
    },
)
INVENTORY = SubgraphSpec(
    name="inventory",
    sdl=federation_sdl(
        """
        type Product @key(fields: "id") {
          id: ID!
          stock: Int @requiresScopes(scopes: [["staff"]])
          cost: Int @policy(policies: [["finance"]])
        }
        """,
        version="v2.6",
        imports=IMPORTS,
    ),
    data={"Product": [{"id": "1", "stock": 5, "cost": 10}, {"id": "2", "stock": 0, "cost": 20}]},
)
QUERY = "{ products { id name secret stock cost } me { email } }"
KEY = Ed25519PrivateKey.generate()
PEM = KEY.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo).decode()


def token(claims: Mapping[str, Any], key: Any = KEY, algorithm: str = "EdDSA", **kw: Any) -> str:
    expires = int(time.time()) + 600
    return jwt.encode({"sub": "u1", "exp": expires, **claims}, key, algorithm=algorithm, **kw)


def bearer(value: str) -> dict[str, str]:
    return {"authorization": f"Bearer {value}"}


def unauthorized(*path: str | int) -> dict[str, Any]:
    return {
        "message": "Unauthorized field or type",
        "path": list(path),
        "extensions": {"code": "UNAUTHORIZED_FIELD_OR_TYPE"},
    }


@dataclass
class Router:
    gateway: Gateway
    served: ServedSubgraphs

    async def run(self, query: str, headers: Mapping[str, str] | None = None) -> dict[str, Any]:
        self.served.clear()
        response = await self.gateway.execute(GraphQLRequest(query=query), dict(headers or {}))
        assert response.status_code == 200
        return response.body

    def fetched(self, name: str) -> list[str]:
        return [" ".join(r.query.split()) for r in self.served.requests(name)]


async def compose_served(served: ServedSubgraphs) -> str:
    specs = (PRODUCTS, INVENTORY)
    result = compose([SubgraphSource(s.name, served[s.name], s.sdl) for s in specs])
    assert result.errors == ()
    assert result.supergraph_sdl is not None
    return result.supergraph_sdl


@asynccontextmanager
async def router(**settings: Any) -> AsyncIterator[Router]:
    async with serve_subgraphs([PRODUCTS, INVENTORY]) as served:
        supergraph = load_supergraph(await compose_served(served))
        gateway = Gateway(supergraph, RouterConfig(**{"jwt_public_key": PEM, **settings}))
        await gateway.start()
        try:
            yield Router(gateway, served)
        finally:
            await gateway.close()


def rows(**extra: Any) -> list[dict[str, Any]]:
    names = [("1", "Lamp"), ("2", "Desk")]
    return [{"id": i, "name": n, **{k: v[int(i) - 1] for k, v in extra.items()}} for i, n in names]


async def test_an_anonymous_caller_gets_null_and_an_error_per_protected_field() -> None:
    async with router() as r:
        body = await r.run(QUERY)
        assert body == {
            "errors": [
                unauthorized("products", "@", "secret"),
                unauthorized("products", "@", "stock"),
                unauthorized("products", "@", "cost"),
                unauthorized("me"),
            ],
            "data": {
                "products": rows(secret=[None, None], stock=[None, None], cost=[None, None]),
                "me": None,
            },
        }
        # Removed fields are never asked for: no inventory fetch at all.
        assert r.fetched("products") == ["{ products { id name } }"]
        assert r.fetched("inventory") == []


INVALID = {
    "errors": [
        {"message": "The bearer token is invalid.", "extensions": {"code": "UNAUTHENTICATED"}}
    ]
}
EXPIRED = {
    "errors": [
        {
            "message": "The bearer token has expired; sign in again.",
            "extensions": {"code": "UNAUTHENTICATED"},
        }
    ]
}


async def refused(r: Router, query: str, value: str) -> dict[str, Any]:
    """The body of a request the router refuses itself with 401, before any fetch."""
    r.served.clear()
    response = await r.gateway.execute(GraphQLRequest(query=query), bearer(value))
    assert response.status_code == 401
    assert response.headers == {"www-authenticate": 'Bearer error="invalid_token"'}
    assert r.fetched("products") == r.fetched("inventory") == []
    return response.body


async def test_a_tampered_token_is_refused_by_the_router_with_401() -> None:
    header, payload, signature = token({"role": "CUSTOMER"}).split(".")
    forged = token({"role": "STAFF", "policies": ["finance"]}, Ed25519PrivateKey.generate())
    tampered = [
        f"{header}.{forged.split('.')[1]}.{signature}",  # claims raised, signature kept
        forged,  # signed by another key
        f"{header}.{payload}.{signature[:-4]}AAAA",
        "not-a-jwt",
    ]
    async with router() as r:
        for value in tampered:
            # Even for an operation that selects nothing protected.
            assert await refused(r, "{ products { id } }", value) == INVALID
            assert await refused(r, QUERY, value) == INVALID


async def test_a_token_without_the_scope_loses_only_what_the_scope_guards() -> None:
    async with router() as r:
        body = await r.run(QUERY, bearer(token({"scope": "read:secret other"})))
        assert body == {
            "errors": [
                unauthorized("products", "@", "stock"),
                unauthorized("products", "@", "cost"),
            ],
            "data": {
                "products": rows(secret=["s1", "s2"], stock=[None, None], cost=[None, None]),
                "me": {"email": "ann@example.com"},
            },
        }
        assert r.fetched("inventory") == []


async def test_the_staff_role_is_a_scope_and_policies_come_from_the_token() -> None:
    async with router() as r:
        staff = await r.run(QUERY, bearer(token({"role": "STAFF"})))
        assert staff == {
            "errors": [unauthorized("products", "@", "cost")],
            "data": {
                "products": rows(secret=["s1", "s2"], stock=[5, 0], cost=[None, None]),
                "me": {"email": "ann@example.com"},
            },
        }
        assert len(r.fetched("inventory")) == 1
        assert "cost" not in r.fetched("inventory")[0]
        everything = await r.run(QUERY, bearer(token({"role": "STAFF", "policies": ["finance"]})))
        assert everything == {
            "data": {
                "products": rows(secret=["s1", "s2"], stock=[5, 0], cost=[10, 20]),
                "me": {"email": "ann@example.com"},
            }
        }


async def test_callers_with_different_access_never_share_a_plan() -> None:
    staff = bearer(token({"role": "STAFF"}))
    async with router() as r:
        await r.run(QUERY)
        await r.run(QUERY, staff)
        await r.run(QUERY, bearer(token({"role": "STAFF", "policies": ["finance"]})))
        assert len(r.gateway.plans.keys()) == 3
        # The same access again reuses its plan, whoever holds it.
        await r.run(QUERY, bearer(token({"role": "STAFF", "sub": "someone-else"})))
        assert len(r.fetched("inventory")) == 1
        assert "cost" not in r.fetched("inventory")[0]
        await r.run(QUERY)
        assert r.fetched("inventory") == []
        assert len(r.gateway.plans.keys()) == 3


async def test_a_removed_non_null_field_nulls_its_parent_without_a_second_error() -> None:
    async with router() as r:
        body = await r.run("{ products { id sku } }")
        assert body == {
            "errors": [unauthorized("products", "@", "sku")],
            "data": {"products": [None, None]},
        }


async def test_fragments_and_aliases_report_the_response_path() -> None:
    query = "{ products { ...P } } fragment P on Product { id hidden: secret }"
    async with router() as r:
        body = await r.run(query)
        assert body == {
            "errors": [unauthorized("products", "@", "hidden")],
            "data": {"products": [{"id": "1", "hidden": None}, {"id": "2", "hidden": None}]},
        }
        assert r.fetched("products") == ["{ products { id } }"]


async def test_a_selection_left_empty_keeps_its_parent() -> None:
    async with router() as r:
        body = await r.run("{ products { secret } }")
        assert body == {
            "errors": [unauthorized("products", "@", "secret")],
            "data": {"products": [{"secret": None}, {"secret": None}]},
        }
        assert r.fetched("products") == ["{ products { __typename } }"]


class RefusingVerifier:
    """Fails the test if the caller's requirements are looked at (a sent token is still checked)."""

    async def prepare(self, _headers: Mapping[str, str]) -> None:
        return None

    async def close(self) -> None:
        return None

    def rejection(self, _headers: Mapping[str, str]) -> None:
        return None

    def caller(self, headers: Mapping[str, str]) -> Caller:
        raise AssertionError(f"the token was verified for an unprotected operation: {headers}")


async def test_an_operation_selecting_nothing_protected_skips_authorization() -> None:
    async with router() as r:
        r.gateway.authorization.verifier = RefusingVerifier()  # type: ignore[assignment]  # a double
        body = await r.run("{ products { id name } }", bearer("anything"))
        assert body == {"data": {"products": rows()}}
        cached = r.gateway.plans.keys()
        assert [key[0] for key in cached] == [
            r.gateway.prepare(GraphQLRequest(query="{ products { id name } }")).hash
        ]


@asynccontextmanager
async def jwks(document: Mapping[str, Any]) -> AsyncIterator[str]:
    async def serve(_: web.Request) -> web.Response:
        return web.json_response(document)

    app = web.Application()
    app.router.add_get("/jwks.json", serve)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}/jwks.json"
    finally:
        await runner.cleanup()


async def test_rs256_tokens_verify_against_a_jwks_with_issuer_and_audience() -> None:
    rsa = generate_private_key(public_exponent=65537, key_size=2048)
    jwk = {**json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(rsa.public_key())), "kid": "k1"}
    claims = {"role": "STAFF", "iss": "users", "aud": "shopgraph"}
    good = token(claims, rsa, "RS256", headers={"kid": "k1"})
    wrong_audience = token({**claims, "aud": "else"}, rsa, "RS256", headers={"kid": "k1"})
    async with (
        jwks({"keys": [jwk]}) as url,
        router(
            jwt_public_key=None, jwks_url=url, jwt_issuer="users", jwt_audience="shopgraph"
        ) as r,
    ):
        query = "{ products { stock } }"
        assert await r.run(query, bearer(good)) == {
            "data": {"products": [{"stock": 5}, {"stock": 0}]}
        }
        assert await refused(r, query, wrong_audience) == INVALID


@pytest.mark.parametrize(
    ("link", "applied"),
    [
        ('@link(url: "https://specs.apollo.dev/authenticated/v0.1", as: "auth"', "@auth"),
        (
            '@link(url: "https://specs.apollo.dev/authenticated/v0.1",'
            ' import: [{name: "@authenticated", as: "@signedIn"}]',
            "@signedIn",
        ),
    ],
)
async def test_renamed_directives_are_recognised(link: str, applied: str) -> None:
    original = '@link(url: "https://specs.apollo.dev/authenticated/v0.1"'
    async with router() as r:
        sdl = await compose_served(r.served)
        assert original in sdl
        renamed = sdl.replace("@authenticated", applied).replace(original, link)
        gateway = Gateway(load_supergraph(renamed), r.gateway.config)
        await gateway.start()
        try:
            response = await gateway.execute(GraphQLRequest(query="{ me { email } }"), {})
        finally:
            await gateway.close()
        assert response.body == {"errors": [unauthorized("me")], "data": {"me": None}}


async def test_tokens_without_expiry_or_expired_are_refused_by_the_router_with_401() -> None:
    staff = {"sub": "u1", "role": "STAFF", "policies": ["finance"]}
    never_expires = jwt.encode(staff, KEY, algorithm="EdDSA")
    expired = jwt.encode({**staff, "exp": int(time.time()) - 60}, KEY, algorithm="EdDSA")
    async with router() as r:
        assert await refused(r, QUERY, never_expires) == INVALID
        assert await refused(r, QUERY, expired) == EXPIRED
