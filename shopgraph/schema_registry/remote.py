"""The registry service (`shopgraph registry serve`) as a `SchemaRegistry` for the CLI.

Reads `GET /v1/schemas`; a registry that cannot be reached, or answers
with something else than the schemas, is `RegistryUnreachable` (exit code 2).
"""

from __future__ import annotations

import os
import urllib.error
import urllib.request

import orjson

from shopgraph.schema_registry.store import PublishedSchemas, RegistryUnreachable

TIMEOUT_SECONDS = 10


class RemoteRegistry:
    def __init__(self, url: str, token: str | None = None) -> None:
        self.url = url.rstrip("/")
        self.token = token or os.environ.get("SHOPGRAPH_REGISTRY_TOKEN")

    @property
    def location(self) -> str:
        return self.url

    def _request(self, path: str, body: bytes | None = None) -> bytes:
        request = urllib.request.Request(f"{self.url}{path}", data=body)  # noqa: S310 - http(s) only, checked by open_registry
        if body is not None:
            request.add_header("content-type", "application/json")
        if self.token:
            request.add_header("authorization", f"Bearer {self.token}")
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310 - as above
                data: bytes = response.read()
                return data
        except urllib.error.HTTPError as error:
            raise RegistryUnreachable(f"{self.url}{path} answered {error.code}") from error
        except urllib.error.URLError as error:
            # The reason alone ("Connection refused"), not urllib's <urlopen error [...]>.
            reason = getattr(error.reason, "strerror", None) or error.reason
            raise RegistryUnreachable(f"{self.url}: {reason}") from error
        except OSError as error:  # a timeout or a connection cut while reading
            raise RegistryUnreachable(f"{self.url}: {error.strerror or error}") from error

    def read(self) -> PublishedSchemas:
        try:
            payload = orjson.loads(self._request("/v1/schemas"))
            return PublishedSchemas(dict(payload["subgraphs"]), payload["supergraph"])
        except (orjson.JSONDecodeError, KeyError, TypeError) as error:
            raise RegistryUnreachable(f"{self.url} did not answer with schemas") from error

    def write(self, subgraphs: dict[str, str], supergraph: str, changelog_entry: str) -> None:
        """Publishes the subgraphs that differ; the caller's check already decided (force)."""
        published = self.read()
        changed = {n: sdl for n, sdl in subgraphs.items() if published.subgraphs.get(n) != sdl}
        if changed:
            body = orjson.dumps({"subgraphs": changed, "force": True})
            self._request("/v1/subgraphs", body)
