"""Serving an ASGI app on a real loopback port inside the caller's event loop.

Tests and benches use it to put subgraphs, routers and whole shops on real
sockets without starting processes.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import uvicorn
from starlette.types import ASGIApp


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@asynccontextmanager
async def served(app: ASGIApp, port: int, proxy_headers: bool = True) -> AsyncIterator[str]:
    """`app` listening on 127.0.0.1:`port` until the block ends; yields its base URL.

    With `proxy_headers` (uvicorn's default), an X-Forwarded-For from 127.0.0.1
    becomes the request's client address, as `shopgraph serve` subgraphs do.
    """
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        log_level="warning",
        lifespan="on",
        proxy_headers=proxy_headers,
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    try:
        while not server.started:
            if task.done():
                await task  # start-up failed: raise its error
                raise RuntimeError("the server stopped during start-up")
            await asyncio.sleep(0.02)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task
