"""The router follows the issuer's key rotation: JWKS refreshed, refetched on unknown kids."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import jwt
import pytest
from aiohttp import web
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from router.policies.jwks import JwksKeys
from tests.router.policies.test_authorization import INVALID, bearer, refused, router, token


def jwk(key: Ed25519PrivateKey, kid: str) -> dict[str, Any]:
    public = json.loads(jwt.algorithms.OKPAlgorithm.to_jwk(key.public_key()))
    return {**public, "kid": kid, "alg": "EdDSA", "use": "sig"}


@dataclass
class Issuer:
    """A JWKS endpoint whose keys the test changes, counting the fetches."""

    keys: list[dict[str, Any]]
    fetches: int = 0
    failing: bool = False
    fetched: asyncio.Event = field(default_factory=asyncio.Event)
    url: str = ""

    async def serve(self, _: web.Request) -> web.Response:
        self.fetches += 1
        self.fetched.set()
        if self.failing:
            return web.Response(status=503)
        return web.json_response({"keys": self.keys})


@asynccontextmanager
async def issuer(*keys: dict[str, Any]) -> AsyncIterator[Issuer]:
    served = Issuer(list(keys))
    app = web.Application()
    app.router.add_get("/jwks.json", served.serve)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    served.url = f"http://127.0.0.1:{runner.addresses[0][1]}/jwks.json"
    try:
        yield served
    finally:
        await runner.cleanup()


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_a_rotated_key_verifies_at_once_and_the_old_one_until_it_leaves() -> None:
    old, new = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    staff = {"role": "STAFF"}
    query = "{ products { stock } }"
    stock = {"data": {"products": [{"stock": 5}, {"stock": 0}]}}
    async with (
        issuer(jwk(old, "k1")) as users,
        router(jwt_public_key=None, jwks_url=users.url) as r,
    ):
        assert await r.run(query, bearer(token(staff, old, headers={"kid": "k1"}))) == stock
        assert users.fetches == 1

        users.keys = [jwk(new, "k2"), jwk(old, "k1")]  # what `shopgraph keys rotate` publishes
        assert await r.run(query, bearer(token(staff, new, headers={"kid": "k2"}))) == stock
        assert await r.run(query, bearer(token(staff, old, headers={"kid": "k1"}))) == stock
        assert users.fetches == 2

        users.keys = [jwk(new, "k2")]
        stranger = Ed25519PrivateKey.generate()
        assert await refused(r, query, token(staff, stranger, headers={"kid": "k3"})) == INVALID
        assert users.fetches == 3
        assert await refused(r, query, token(staff, old, headers={"kid": "k1"})) == INVALID


async def test_fetches_for_unknown_kids_are_rate_limited_and_shared() -> None:
    clock = Clock()
    async with issuer(jwk(Ed25519PrivateKey.generate(), "k1")) as users:
        keys = JwksKeys(users.url, refresh_seconds=3600, min_refetch_seconds=10, clock=clock)
        await keys.start()
        try:
            await keys.fetch_for("k1")
            await keys.fetch_for("made-up")
            assert (users.fetches, set(keys.keys)) == (2, {"k1"})
            clock.now += 9
            await keys.fetch_for("made-up")
            await keys.fetch_for("other")
            assert users.fetches == 2

            users.keys.append(jwk(Ed25519PrivateKey.generate(), "k2"))
            clock.now += 1
            await asyncio.gather(*(keys.fetch_for("k2") for _ in range(5)))
            assert (users.fetches, set(keys.keys)) == (3, {"k1", "k2"})

            # A key found is no reason to wait: the next rotation is fetched at once.
            users.keys.append(jwk(Ed25519PrivateKey.generate(), "k3"))
            await keys.fetch_for("k3")
            assert (users.fetches, set(keys.keys)) == (4, {"k1", "k2", "k3"})
        finally:
            await keys.close()


async def test_a_failed_fetch_keeps_the_keys_held_and_refresh_runs_periodically() -> None:
    async with issuer(jwk(Ed25519PrivateKey.generate(), "k1")) as users:
        keys = JwksKeys(users.url, refresh_seconds=0.01, min_refetch_seconds=10)
        await keys.start()
        try:
            users.failing = True
            for _ in range(2):  # two periodic refreshes, both failing
                users.fetched.clear()
                await asyncio.wait_for(users.fetched.wait(), 5)
            assert users.fetches >= 3
            assert set(keys.keys) == {"k1"}
        finally:
            await keys.close()


async def test_an_issuer_down_at_start_is_asked_again_by_the_first_token() -> None:
    key = Ed25519PrivateKey.generate()
    async with issuer(jwk(key, "k1")) as users:
        users.failing = True
        keys = JwksKeys(
            users.url, refresh_seconds=3600, min_refetch_seconds=3600, first_retry_seconds=3600
        )
        await keys.start()
        try:
            assert keys.keys == {}
            users.failing = False
            await keys.fetch_for("k1")
            assert (users.fetches, set(keys.keys)) == (2, {"k1"})
        finally:
            await keys.close()


async def test_an_issuer_starting_after_the_router_is_asked_again_soon_without_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async with issuer(jwk(Ed25519PrivateKey.generate(), "k1")) as users:
        users.failing = True
        keys = JwksKeys(users.url, refresh_seconds=3600, first_retry_seconds=0.01)
        with caplog.at_level(logging.INFO, logger="router.policies.jwks"):
            await keys.start()
            try:
                assert keys.keys == {}
                users.fetched.clear()
                await asyncio.wait_for(users.fetched.wait(), 5)  # a retry that fails too
                users.failing = False
                async with asyncio.timeout(5):
                    while not keys.keys:  # noqa: ASYNC110 - the refresher offers nothing to await
                        await asyncio.sleep(0.01)
            finally:
                await keys.close()
    assert set(keys.keys) == {"k1"}
    failures = [r.levelno for r in caplog.records if r.getMessage().startswith("could not load")]
    assert set(failures) == {logging.INFO}


async def test_failures_after_the_startup_grace_are_warnings(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async with issuer() as users:
        users.failing = True
        keys = JwksKeys(
            users.url, refresh_seconds=0.04, first_retry_seconds=0.01, startup_grace_seconds=0
        )
        with caplog.at_level(logging.INFO, logger="router.policies.jwks"):
            await keys.start()
            try:
                async with asyncio.timeout(5):
                    while users.fetches < 5:  # noqa: ASYNC110 - counted by the issuer
                        await asyncio.sleep(0.005)
            finally:
                await keys.close()
    failures = [r.levelno for r in caplog.records if r.getMessage().startswith("could not load")]
    assert set(failures) == {logging.WARNING}
