"""A TCP proxy that tests put between a client and a real server to cut the network.

Point the client at `127.0.0.1:proxy.port` instead of the server. `cut()` stops
listening and aborts every open connection (both sides see a reset, as after a
network failure or a server crash); `restore()` listens again on the same port,
so a client that reconnects by itself finds the server again.

    async with TcpProxy("127.0.0.1", 5672) as proxy:
        url = f"amqp://guest:guest@127.0.0.1:{proxy.port}/"
        ...
        await proxy.cut()
        ...
        await proxy.restore()
"""

from __future__ import annotations

import asyncio
import contextlib
from types import TracebackType


class TcpProxy:
    """Forwards every connection made to `host:port` to `target_host:target_port`."""

    def __init__(self, target_host: str, target_port: int, *, host: str = "127.0.0.1") -> None:
        self.target_host = target_host
        self.target_port = target_port
        self.host = host
        self._port: int | None = None
        self._server: asyncio.Server | None = None
        self._transports: set[asyncio.WriteTransport] = set()
        self._pipes: set[asyncio.Task[None]] = set()

    @property
    def port(self) -> int:
        """The loopback port clients connect to; fixed from `start()` on."""
        if self._port is None:
            raise RuntimeError("start the proxy first")
        return self._port

    @property
    def connections(self) -> int:
        """Open client connections (each with its server connection)."""
        return len(self._transports) // 2

    async def start(self) -> None:
        """Listen on a free port of `host`."""
        await self._listen(0)

    async def cut(self) -> None:
        """Refuse new connections and abort every open one."""
        if self._server is not None:
            self._server.close()
            self._server = None
        for transport in self._transports:
            transport.abort()
        self._transports.clear()
        # Let the pipes see the aborted connections and end.
        await asyncio.gather(*self._pipes, return_exceptions=True)

    async def restore(self) -> None:
        """Listen again on the same port."""
        if self._server is None:
            await self._listen(self.port)

    async def close(self) -> None:
        await self.cut()

    async def __aenter__(self) -> TcpProxy:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()

    async def _listen(self, port: int) -> None:
        self._server = await asyncio.start_server(self._accept, self.host, port)
        self._port = self._server.sockets[0].getsockname()[1]

    async def _accept(
        self, client_in: asyncio.StreamReader, client_out: asyncio.StreamWriter
    ) -> None:
        try:
            server_in, server_out = await asyncio.open_connection(
                self.target_host, self.target_port
            )
        except OSError:
            client_out.transport.abort()  # the target is down: so is the proxied server
            return
        if self._server is None:  # cut while connecting
            client_out.transport.abort()
            server_out.transport.abort()
            return
        self._transports.update((client_out.transport, server_out.transport))
        pipes = [
            asyncio.create_task(self._pipe(client_in, server_out)),
            asyncio.create_task(self._pipe(server_in, client_out)),
        ]
        self._pipes.update(pipes)
        try:
            await asyncio.gather(*pipes)
        finally:
            self._pipes.difference_update(pipes)
            self._transports.discard(client_out.transport)
            self._transports.discard(server_out.transport)

    @staticmethod
    async def _pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
        # Connection errors here are the point of a cut; either side closing ends the pair.
        with contextlib.suppress(ConnectionError, OSError):
            while data := await source.read(65536):
                sink.write(data)
                await sink.drain()
        sink.transport.abort()
