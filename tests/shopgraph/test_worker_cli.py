"""`shopgraph worker payments --dead-letters / --requeue` against the real RabbitMQ."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import aio_pika
from typer.testing import CliRunner

from shopgraph.cli import app
from subgraphs.commerce.events import ORDER_PLACED
from subgraphs.commerce.queues import PAYMENTS_GROUP
from subgraphs.platform.events import Event
from subgraphs.platform.events.rabbitmq import RabbitMQBus
from tests.rabbitmq import delete_group_queues

runner = CliRunner()
DELAYS = (0.05,)


async def _dead_letter(url: str) -> Event:
    """An order.placed that ran out of retries in the payments group."""
    bus = RabbitMQBus(url, retry_delays=DELAYS)
    await bus.start()
    try:
        deliveries = bus.consume(PAYMENTS_GROUP, [ORDER_PLACED])
        event = Event.new(ORDER_PLACED, "order-1", {"paymentId": "payment-1"})
        await bus.publish([event])
        for _ in (*DELAYS, None):
            delivery = await anext(deliveries)
            await delivery.retry()
    finally:
        await bus.close()
    return event


async def _waiting_in_group(url: str) -> int:
    connection = await aio_pika.connect(url)
    async with connection:
        channel = await connection.channel()
        queue = await channel.declare_queue(PAYMENTS_GROUP, durable=True)
        return queue.declaration_result.message_count or 0


def test_dead_letters_are_listed_then_requeued(rabbitmq_url: str, tmp_path: Path) -> None:
    asyncio.run(delete_group_queues(rabbitmq_url, [PAYMENTS_GROUP]))
    try:
        event = asyncio.run(_dead_letter(rabbitmq_url))
        env = {
            "SHOPGRAPH_AMQP_URL": rabbitmq_url,
            "SHOPGRAPH_DATA_DIR": str(tmp_path),
            "COLUMNS": "200",
        }

        listed = runner.invoke(app, ["worker", "payments", "--dead-letters"], env=env)

        assert listed.exit_code == 0, listed.output
        assert str(event.id) in listed.output
        assert "1 dead letter(s) in commerce.payments" in listed.output

        requeued = runner.invoke(app, ["worker", "payments", "--requeue", "all"], env=env)

        assert requeued.exit_code == 0, requeued.output
        assert "requeued 1 dead letter(s) to commerce.payments" in requeued.output
        assert asyncio.run(_waiting_in_group(rabbitmq_url)) == 1
        again = runner.invoke(app, ["worker", "payments", "--dead-letters"], env=env)
        assert "0 dead letter(s)" in again.output
    finally:
        asyncio.run(delete_group_queues(rabbitmq_url, [PAYMENTS_GROUP]))


def test_dead_letters_need_rabbitmq(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["worker", "payments", "--dead-letters"], env={"SHOPGRAPH_DATA_DIR": str(tmp_path)}
    )

    assert result.exit_code == 1
    assert "dead letters are kept by RabbitMQ" in result.output


def test_the_orders_worker_needs_rabbitmq(tmp_path: Path) -> None:
    result = runner.invoke(app, ["worker", "orders"], env={"SHOPGRAPH_DATA_DIR": str(tmp_path)})

    assert result.exit_code == 1
    assert "the orders worker takes its events from RabbitMQ" in result.output


def test_the_outbox_worker_needs_postgresql(tmp_path: Path) -> None:
    result = runner.invoke(app, ["worker", "outbox"], env={"SHOPGRAPH_DATA_DIR": str(tmp_path)})

    assert result.exit_code == 1
    assert "the outbox worker listens to PostgreSQL" in result.output


def test_the_outbox_worker_names_the_subgraphs_that_have_an_outbox(tmp_path: Path) -> None:
    env = {
        "SHOPGRAPH_DATA_DIR": str(tmp_path),
        "SHOPGRAPH_DATABASE_URL": "postgresql+asyncpg://nobody@127.0.0.1:1/none",
    }
    result = runner.invoke(app, ["worker", "outbox", "--subgraph", "insights"], env=env)

    assert result.exit_code == 2
    assert "no outbox in insights; subgraphs with one: users, catalog, commerce, social" in (
        " ".join(result.output.split())
    )


NICENESS_PROBE = """
import os
from shopgraph.worker_cli import yield_to_requests

before = os.nice(0)
yield_to_requests()
print(os.nice(0) - before)
"""


def test_a_worker_lowers_its_priority_by_the_niceness_setting() -> None:
    def lowered_by(setting: str) -> str:
        env = {**os.environ, "SHOPGRAPH_WORKER_NICENESS": setting}
        # A process of its own: a raised niceness cannot be lowered again.
        return subprocess.run(  # noqa: S603 - this interpreter, a fixed script
            [sys.executable, "-c", NICENESS_PROBE],
            env=env,
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        ).stdout.strip()

    assert lowered_by("7") == "7"
    assert lowered_by("0") == "0"
