"""Whose request this is: the client address the subgraphs get in X-Forwarded-For.

The router is where the client's address is decided. Its TCP peer is a
proxy only if `trusted_proxies` lists it; then the peer's X-Forwarded-For is
read from the right, skipping every trusted proxy, and the first address
that is not one is the client. An X-Forwarded-For from any other peer is
what a client wrote itself, so it is replaced by the peer's address.

Subgraphs get the chain up to the client (whatever came before it is kept,
unverified, for logs), so the client is always the last entry: a subgraph
that trusts the router (uvicorn's `FORWARDED_ALLOW_IPS`) reads it there, and
its per-address rate limits count the real client instead of the router.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from starlette.requests import HTTPConnection

FORWARDED_FOR = "x-forwarded-for"
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class Forwarding:
    def __init__(self, trusted_proxies: Iterable[str]) -> None:
        self.trusted: tuple[Network, ...] = tuple(
            ipaddress.ip_network(proxy, strict=False) for proxy in trusted_proxies
        )

    def headers(self, connection: HTTPConnection) -> dict[str, str]:
        """The request's headers (lower-case names) with the X-Forwarded-For to send on."""
        headers = {name: value for name, value in connection.headers.items()}
        peer = connection.client.host if connection.client is not None else None
        chain = self.chain(peer, connection.headers.getlist(FORWARDED_FOR))
        return _with_chain(headers, chain)

    def forwarded(self, headers: dict[str, str], peer: str | None) -> dict[str, str]:
        """`headers` (each name once, lower-case) with the X-Forwarded-For to send on.

        What `headers` does for a request whose header names do not repeat; it
        changes and returns the dict given.
        """
        given = headers.get(FORWARDED_FOR)
        return _with_chain(headers, self.chain(peer, [given] if given is not None else []))

    def chain(self, peer: str | None, forwarded_for: list[str]) -> list[str]:
        """The addresses up to and including the client's; empty when nothing is known."""
        if peer is None:
            return []
        if not self._is_trusted(peer):
            return [peer]
        hops = [hop.strip() for value in forwarded_for for hop in value.split(",") if hop.strip()]
        while hops and self._is_trusted(hops[-1]):
            hops.pop()
        return hops or [peer]  # only proxies: the nearest one is all that is known

    def _is_trusted(self, address: str) -> bool:
        if not self.trusted:
            return False  # no proxy trusted (the default): no address to parse
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False  # not an address (e.g. "unknown"): nothing to trust
        return any(ip in network for network in self.trusted)


def _with_chain(headers: dict[str, str], chain: list[str]) -> dict[str, str]:
    if chain:
        headers[FORWARDED_FOR] = ", ".join(chain)
    else:
        headers.pop(FORWARDED_FOR, None)
    return headers
