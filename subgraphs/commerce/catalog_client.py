"""What commerce asks of the catalog subgraph: current products, and stock reservations.

Commerce reads no catalog table. It calls the catalog's GraphQL endpoint
directly (not through the router) with the service token, which the internal
mutations require. One pooled aiohttp session serves every call.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol

import aiohttp
import orjson

from subgraphs.commerce.errors import CommerceErrorCode
from subgraphs.platform.auth.service_token import HEADER as SERVICE_HEADER
from subgraphs.platform.errors import DomainError
from subgraphs.platform.tracing import current_request_id
from subgraphs.platform.transient import Unavailable, one_line

log = logging.getLogger(__name__)

TIMEOUT_SECONDS = 10.0
# Idle connections to catalog are closed after this, before catalog's uvicorn closes
# them (5 s): a call sent on a connection the server is closing fails with
# ServerDisconnectedError (aiohttp keeps idle connections 15 s by default).
IDLE_CONNECTION_SECONDS = 4.0

_PRODUCTS = """
query CommerceProducts($representations: [_Any!]!) {
  _entities(representations: $representations) {
    ... on Product { id name price { amount currency } stock deleted }
  }
}"""

_RESERVE = """
mutation CommerceReserve($orderId: ID!, $lines: [ReservationLineInput!]!) {
  reserveStock(orderId: $orderId, lines: $lines) {
    reservation { status lines { productId quantity name price { amount currency } deleted } }
    errors { code message }
  }
}"""

_RELEASE = """
mutation CommerceRelease($orderId: ID!) { releaseStock(orderId: $orderId) { errors { code } } }"""
_COMMIT = """
mutation CommerceCommit($orderId: ID!) { commitStock(orderId: $orderId) { errors { code } } }"""
_SETTLE = """
mutation CommerceSettle($commits: [ID!]!, $releases: [ID!]!) {
  settleStock(commits: $commits, releases: $releases) { errors { code message } }
}"""


@dataclass(frozen=True, slots=True)
class CatalogProduct:
    id: str
    name: str
    price: Decimal
    currency: str
    stock: int
    deleted: bool


@dataclass(frozen=True, slots=True)
class ReservedLine:
    """A reserved line with what its order line needs of the product, as catalog read
    it when reserving (checkout asks catalog nothing else)."""

    product_id: str
    quantity: int
    name: str
    price: Decimal
    currency: str
    deleted: bool


class CatalogUnavailable(DomainError, Unavailable):
    """The catalog did not answer; the caller may try again (a reservation may have
    happened: reservations are idempotent per key)."""

    def __init__(self, detail: str) -> None:
        super().__init__(
            CommerceErrorCode.SERVICE_UNAVAILABLE, "the catalog is not reachable, try again"
        )
        self.detail = detail


class ReservationSettled(Exception):
    """The key's reservation was already released or committed: it holds no stock now
    and never will again (catalog does not reserve twice under one key)."""

    def __init__(self, reservation_key: str, status: str) -> None:
        super().__init__(f"reservation {reservation_key} is {status}")
        self.status = status


class Catalog(Protocol):
    async def products(self, ids: Sequence[str]) -> dict[str, CatalogProduct]: ...

    async def reserve(
        self, reservation_key: str, lines: Sequence[tuple[str, int]]
    ) -> list[ReservedLine]:
        """Reserves all lines or none (DomainError with the catalog's code: a deleted
        product or mixed currencies are refused too); idempotent per key: a second
        call returns the first reservation's lines, or raises ReservationSettled once
        that reservation was released or committed."""
        ...

    async def release(self, reservation_key: str) -> None: ...

    async def commit(self, reservation_key: str) -> None: ...

    async def settle(self, commits: Sequence[str], releases: Sequence[str]) -> None:
        """Commits and releases many reservations in one call, each as `commit` and
        `release` would (idempotent per key)."""
        ...


class HttpCatalog:
    def __init__(self, url: str, service_token: str | None) -> None:
        self._url = url
        headers = {"content-type": "application/json"}
        if service_token:
            headers[SERVICE_HEADER] = service_token
        self._session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(keepalive_timeout=IDLE_CONNECTION_SECONDS),
            headers=headers,
            timeout=aiohttp.ClientTimeout(total=TIMEOUT_SECONDS),
            # Calls are made for many customers: nothing catalog sets may follow later ones.
            cookie_jar=aiohttp.DummyCookieJar(),
        )

    async def close(self) -> None:
        await self._session.close()

    async def products(self, ids: Sequence[str]) -> dict[str, CatalogProduct]:
        unique = list(dict.fromkeys(ids))
        if not unique:
            return {}
        representations = [{"__typename": "Product", "id": product_id} for product_id in unique]
        data = await self._call(_PRODUCTS, {"representations": representations})
        found = {}
        for entity in data["_entities"]:
            if entity is None:
                continue
            found[entity["id"]] = CatalogProduct(
                id=entity["id"],
                name=entity["name"],
                price=Decimal(entity["price"]["amount"]),
                currency=entity["price"]["currency"],
                stock=entity["stock"],
                deleted=entity["deleted"],
            )
        return found

    async def reserve(
        self, reservation_key: str, lines: Sequence[tuple[str, int]]
    ) -> list[ReservedLine]:
        variables = {
            "orderId": reservation_key,
            "lines": [{"productId": pid, "quantity": qty} for pid, qty in lines],
        }
        payload = (await self._call(_RESERVE, variables))["reserveStock"]
        if payload["errors"]:
            first = payload["errors"][0]
            raise DomainError(_relayed(first["code"]), first["message"], ["lines"])
        reservation = payload["reservation"]
        if reservation["status"] != "RESERVED":
            raise ReservationSettled(reservation_key, reservation["status"])
        return [
            ReservedLine(
                product_id=line["productId"],
                quantity=line["quantity"],
                name=line["name"],
                price=Decimal(line["price"]["amount"]),
                currency=line["price"]["currency"],
                deleted=line["deleted"],
            )
            for line in reservation["lines"]
        ]

    async def release(self, reservation_key: str) -> None:
        await self._call(_RELEASE, {"orderId": reservation_key})

    async def commit(self, reservation_key: str) -> None:
        await self._call(_COMMIT, {"orderId": reservation_key})

    async def settle(self, commits: Sequence[str], releases: Sequence[str]) -> None:
        if not commits and not releases:
            return
        variables = {"commits": list(commits), "releases": list(releases)}
        errors = (await self._call(_SETTLE, variables))["settleStock"]["errors"]
        if errors:
            # Commerce never asks what catalog refuses here (too many keys, or one key
            # both ways): a bug, not a state to recover from.
            raise RuntimeError(f"catalog refused a settlement: {errors[0]['message']}")

    async def _call(self, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        body = orjson.dumps({"query": query, "variables": variables})
        try:
            async with self._session.post(self._url, data=body) as response:
                text = await response.read()
                status = response.status
        except (aiohttp.ClientError, TimeoutError) as error:
            log.warning(
                "catalog call failed (request %s): %s", current_request_id() or "-", one_line(error)
            )
            raise CatalogUnavailable(f"{type(error).__name__}: {error}") from error
        if status != 200:
            raise CatalogUnavailable(f"HTTP {status}: {text[:300]!r}")
        document = orjson.loads(text)
        if document.get("errors") or document.get("data") is None:
            raise CatalogUnavailable(f"catalog errors: {document.get('errors')}")
        data: dict[str, Any] = document["data"]
        return data


def _relayed(code: str) -> CommerceErrorCode:
    """A catalog refusal as commerce's own code; one commerce does not know is a bug."""
    try:
        return CommerceErrorCode(code)
    except ValueError:
        raise RuntimeError(
            f"the catalog refused a reservation with unknown code {code!r}"
        ) from None
