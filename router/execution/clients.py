"""HTTP clients of the subgraphs: one pooled aiohttp session per subgraph.

Sessions open in `start()` and close in `close()` (the app lifespan), never at
import. A fetch either returns a GraphQL response (data and/or errors) or
raises `SubgraphFailure` with a reason safe to show clients; the details
(URL, exception) go to the log for operators.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp
import orjson

log = logging.getLogger(__name__)

ACCEPT = "application/graphql-response+json, application/json;q=0.9"
GRAPHQL_RESPONSE = "application/graphql-response+json"
# A connection idle this long is closed rather than reused. Servers close idle
# connections too (uvicorn, which serves shopgraph's subgraphs, after 5 s; Node's
# http after 5 s): a request sent just as the server closes fails with
# ServerDisconnectedError and is not retried. aiohttp's default of 15 s invites that;
# letting go first never does.
IDLE_CONNECTION_SECONDS = 4.0


@dataclass(frozen=True, slots=True)
class SubgraphResponse:
    data: dict[str, Any] | None
    errors: list[Any]
    # The subgraph refused the request (HTTP 4xx with GraphQL errors, no data):
    # its errors explain the whole fetch.
    rejected: bool = False


class SubgraphFailure(Exception):
    """The subgraph gave no GraphQL response; `reason` says what happened instead."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class SubgraphClient:
    def __init__(self, name: str, url: str, timeout: float, pool_size: int = 100) -> None:
        self.name = name
        self.url = url
        self.timeout = timeout
        self.pool_size = pool_size
        self._session: aiohttp.ClientSession | None = None
        self._timeout = aiohttp.ClientTimeout(total=timeout)

    @property
    def is_open(self) -> bool:
        return self._session is not None and not self._session.closed

    async def start(self) -> None:
        if self._session is None:
            connector = aiohttp.TCPConnector(
                limit=self.pool_size,
                ttl_dns_cache=60,
                keepalive_timeout=IDLE_CONNECTION_SECONDS,
            )
            # One session serves every caller: a cookie a subgraph sets for one must
            # never go back with another's request, so no cookie is kept.
            self._session = aiohttp.ClientSession(
                connector=connector, cookie_jar=aiohttp.DummyCookieJar()
            )

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def fetch(
        self, operation: str, variables: Mapping[str, Any], headers: Mapping[str, str]
    ) -> SubgraphResponse:
        if self._session is None:
            raise SubgraphFailure("the router is not connected to it")
        body = orjson.dumps({"query": operation, "variables": variables})
        request_headers = {"content-type": "application/json", "accept": ACCEPT, **headers}
        try:
            async with self._session.post(
                self.url, data=body, headers=request_headers, timeout=self._timeout
            ) as response:
                payload = await response.read()
                status, content_type = response.status, response.content_type
        except TimeoutError as error:
            log.warning("subgraph %s (%s) timed out: %r", self.name, self.url, error)
            raise SubgraphFailure(f"no answer within {self.timeout:g} s") from error
        except aiohttp.ClientError as error:
            log.warning("subgraph %s (%s) failed: %r", self.name, self.url, error)
            kind = "connection" if isinstance(error, aiohttp.ClientConnectionError) else "request"
            raise SubgraphFailure(f"the {kind} failed") from error
        return self._read(status, content_type, payload)

    def _read(self, status: int, content_type: str, payload: bytes) -> SubgraphResponse:
        # A graphql-response+json body is a GraphQL response whatever the status
        # (GraphQL over HTTP); other media types count only with a 2xx status,
        # except a 4xx whose body is GraphQL errors (a subgraph refusing the
        # request, e.g. a variable it cannot coerce): the client gets those.
        if not (200 <= status < 300 or content_type == GRAPHQL_RESPONSE):
            refused = _request_errors(payload) if 400 <= status < 500 else None
            if refused is None:
                log.warning("subgraph %s answered HTTP %d: %.200r", self.name, status, payload)
                raise SubgraphFailure(f"it answered HTTP {status}")
            log.info("subgraph %s refused a request (HTTP %d): %.200r", self.name, status, payload)
            return SubgraphResponse(None, refused, rejected=True)
        try:
            decoded = orjson.loads(payload)
        except orjson.JSONDecodeError as error:
            log.warning("subgraph %s answered non-JSON: %.200r", self.name, payload)
            raise SubgraphFailure("it answered with a body that is not JSON") from error
        data = decoded.get("data") if isinstance(decoded, dict) else None
        errors = decoded.get("errors") if isinstance(decoded, dict) else None
        if not isinstance(data, dict | None) or not isinstance(errors, list | None):
            raise SubgraphFailure("it answered with a body that is not a GraphQL response")
        if data is None and not errors:
            raise SubgraphFailure("it answered with neither data nor errors")
        return SubgraphResponse(data, errors or [], rejected=data is None and status >= 400)


def _request_errors(payload: bytes) -> list[Any] | None:
    """The errors of a body that is only GraphQL errors, each with a message; else None."""
    try:
        decoded = orjson.loads(payload)
    except orjson.JSONDecodeError:
        return None
    errors = decoded.get("errors") if isinstance(decoded, dict) else None
    if not isinstance(errors, list) or not errors or decoded.get("data") is not None:
        return None
    if not all(isinstance(e, dict) and isinstance(e.get("message"), str) for e in errors):
        return None
    return errors
