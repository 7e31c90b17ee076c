"""The production backends a checkout run stands on, made fresh for it and cleaned after.

PostgreSQL gets a throwaway database (`shopgraph_bench_<hex>`), dropped at the
end. Redis gets its database number flushed before the run. RabbitMQ keeps the
default exchange, but the queues of the consumer groups this run starts (and
their retry and dead-letter queues) are deleted before and after, so no event
of an earlier run is delivered into this one and none of this run's is left.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass

import aio_pika
import asyncpg  # type: ignore[import-untyped]  # asyncpg ships no type hints
import redis.asyncio as redis
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy.engine import make_url

from shopgraph.subscriptions import subscriptions
from subgraphs.platform.events.rabbitmq import dead_queue_name, retry_queue_name

# Every registered group: the run's relays declare them all, social's and insights' too.
GROUPS = tuple(subscription.group for subscription in subscriptions())


class Unavailable(Exception):
    """A backend the run needs did not answer; the run stops with this reason."""


@dataclass(frozen=True)
class Credentials:
    """Outside embedded mode the platform wants a signing key and a service token."""

    jwt_private_key: str
    service_token: str

    @classmethod
    def generate(cls) -> Credentials:
        pem = Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        return cls(pem.decode(), secrets.token_urlsafe(32))


@dataclass(frozen=True)
class PostgresDatabase:
    url: str
    server_version: str


@asynccontextmanager
async def throwaway_database(admin_url: str) -> AsyncIterator[PostgresDatabase]:
    """A new PostgreSQL database, dropped (connections and all) when the block ends."""
    admin = make_url(admin_url)
    dsn = admin.set(drivername="postgresql").render_as_string(hide_password=False)
    name = f"shopgraph_bench_{secrets.token_hex(4)}"
    try:
        connection = await asyncpg.connect(dsn, timeout=5)
    except (OSError, TimeoutError, asyncpg.PostgresError) as error:
        where = f"{admin.host}:{admin.port or 5432}"
        raise Unavailable(f"PostgreSQL at {where}: {type(error).__name__}: {error}") from error
    try:
        version = str(await connection.fetchval("SHOW server_version"))
        await connection.execute(f'CREATE DATABASE "{name}"')
        try:
            url = admin.set(database=name).render_as_string(hide_password=False)
            yield PostgresDatabase(url, version.split(" ")[0])
        finally:
            await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await connection.close()


async def flush_redis(url: str) -> str:
    """Empties the database `url` names; returns the server's version."""
    client = redis.Redis.from_url(url)
    try:
        await client.flushdb()
        info = await client.info("server")
    except (OSError, redis.RedisError) as error:
        raise Unavailable(f"Redis at {url}: {type(error).__name__}: {error}") from error
    finally:
        await client.aclose()
    return str(info.get("redis_version", "?"))


async def delete_queues(url: str, retry_delays: Iterable[float]) -> str:
    """Deletes every queue of GROUPS; returns the broker's product and version."""
    delays = tuple(retry_delays)
    try:
        connection = await aio_pika.connect(url, timeout=5)
    except (OSError, TimeoutError, aio_pika.exceptions.AMQPError) as error:
        raise Unavailable(f"RabbitMQ: {type(error).__name__}: {error}") from error
    async with connection:
        transport = connection.transport
        server = {} if transport is None else transport.connection.server_properties
        channel = await connection.channel()
        for group in GROUPS:
            names = [group, dead_queue_name(group)]
            names += [retry_queue_name(group, delay) for delay in delays]
            for name in names:
                await channel.queue_delete(name)
    return f"{_text(server.get('product', 'AMQP broker'))} {_text(server.get('version', '?'))}"


def _text(value: object) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
