"""A peer that cannot be reached (a restart) is logged as one WARNING line with the request id.

Commerce serves on a real port while what it depends on is not there: catalog
on a port nobody listens on, Redis on another. The client gets an answer that
says so; the log gets one line, not a traceback at ERROR.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest

from shopgraph.loopback import free_port, served
from subgraphs.commerce.app import create_app as create_commerce
from subgraphs.commerce.settings import CommerceSettings
from subgraphs.platform.auth import Principal, Role
from subgraphs.platform.resources import SharedPlatform
from subgraphs.platform.settings import Settings
from subgraphs.platform.tracing import RequestIdFilter

pytestmark = pytest.mark.parametrize("backend", ["sqlite"])

ADD = """mutation { addToCart(productId: "p-1", quantity: 1) {
  cart { itemCount } errors { code message } } }"""


@asynccontextmanager
async def _commerce_alone(settings: Settings) -> AsyncIterator[tuple[str, str]]:
    """Commerce on a real port, its catalog nowhere; (url, a customer's token)."""
    nowhere = f"http://127.0.0.1:{free_port()}/graphql"
    shared, port = SharedPlatform(), free_port()
    async with (
        shared.open(settings) as platform,
        served(
            create_commerce(settings, shared.borrow, CommerceSettings(catalog_url=nowhere)), port
        ),
    ):
        yield (
            f"http://127.0.0.1:{port}/graphql",
            platform.tokens.issue(Principal("ann", Role.CUSTOMER)),
        )


def _logged(caplog: pytest.LogCaptureFixture) -> list[tuple[int, str, str, bool]]:
    return [
        (r.levelno, r.name, getattr(r, "request_id", ""), r.exc_info is not None)
        for r in caplog.records
        if r.levelno >= logging.WARNING
    ]


async def test_catalog_unreachable_is_one_warning_line_with_the_request_id(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.handler.addFilter(RequestIdFilter())
    async with _commerce_alone(settings) as (url, token), httpx.AsyncClient() as http:
        with caplog.at_level(logging.WARNING):
            response = await http.post(
                url,
                json={"query": ADD},
                headers={"authorization": f"Bearer {token}", "x-request-id": "req-7"},
            )

    assert response.json() == {
        "data": {
            "addToCart": {
                "cart": None,
                "errors": [
                    {
                        "code": "SERVICE_UNAVAILABLE",
                        "message": "the catalog is not reachable, try again",
                    }
                ],
            }
        }
    }
    assert _logged(caplog) == [
        (logging.WARNING, "subgraphs.commerce.catalog_client", "req-7", False)
    ]
    [record] = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert record.getMessage().startswith("catalog call failed (request req-7): ClientConnector")
    assert "\n" not in record.getMessage()


async def test_redis_unreachable_is_one_warning_line_and_an_error_with_the_request_id(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    settings = settings.model_copy(update={"redis_url": f"redis://127.0.0.1:{free_port()}/0"})
    caplog.handler.addFilter(RequestIdFilter())
    async with _commerce_alone(settings) as (url, token), httpx.AsyncClient() as http:
        with caplog.at_level(logging.WARNING):
            response = await http.post(
                url,
                json={"query": "{ cart { itemCount } }"},
                headers={"authorization": f"Bearer {token}", "x-request-id": "req-8"},
            )

    assert response.json() == {
        "data": {"cart": None},
        "errors": [
            {
                "message": "internal server error",
                "locations": [{"line": 1, "column": 3}],
                "path": ["cart"],
                "extensions": {"code": "INTERNAL_SERVER_ERROR", "requestId": "req-8"},
            }
        ],
    }
    assert _logged(caplog) == [(logging.WARNING, "shopgraph.errors", "req-8", False)]
    [record] = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert record.getMessage().startswith("request req-8 failed at ['cart']: ConnectionError: ")
