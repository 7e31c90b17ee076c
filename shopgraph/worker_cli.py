"""`shopgraph worker NAME`: the background workers that run beside the subgraphs.

`payments` charges placed orders (see subgraphs/commerce/payments/worker.py).
With `--dead-letters` it lists the events that ran out of retries instead, and
with `--requeue` it puts them back on the payments queue. `analytics` moves
the Kafka log into the analytics store (see shopgraph/insights_cli.py).
"""

from __future__ import annotations

import asyncio
import signal
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from subgraphs.platform.settings import Settings

worker_app = typer.Typer(help="Run background workers.")
console = Console()


@worker_app.command("payments")
def payments(
    dead_letters: Annotated[
        bool, typer.Option("--dead-letters", help="List the payments that ran out of retries.")
    ] = False,
    requeue: Annotated[
        list[str] | None,
        typer.Option("--requeue", help="Put a dead letter back by event id; 'all' for every one."),
    ] = None,
) -> None:
    """Charge placed orders through the payment provider, until stopped (Ctrl-C)."""
    settings = Settings()
    if dead_letters or requeue:
        if settings.amqp_url is None:
            console.print(
                "[red]dead letters are kept by RabbitMQ: set SHOPGRAPH_AMQP_URL[/] "
                "(the in-process bus of `shopgraph dev` keeps them in its own process)"
            )
            raise typer.Exit(code=1)
        asyncio.run(_dead_letters(settings, requeue))
        return
    asyncio.run(_run_payments(settings))


async def _run_payments(settings: Settings) -> None:
    from subgraphs.commerce.payments.worker import running_payments_worker
    from subgraphs.commerce.services import open_core
    from subgraphs.platform.resources import open_platform

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    async with (
        open_platform(settings) as platform,
        open_core(platform) as services,
        running_payments_worker(services),
    ):
        console.print("[bold]payments worker[/] running; Ctrl-C stops it")
        await stop.wait()
    console.print("payments worker stopped")


async def _dead_letters(settings: Settings, requeue: list[str] | None) -> None:
    import uuid

    from subgraphs.commerce.payments.worker import GROUP
    from subgraphs.platform.resources import open_platform

    async with open_platform(settings) as platform:
        if requeue:
            ids = None if requeue == ["all"] else {uuid.UUID(value) for value in requeue}
            moved = await platform.bus.requeue_dead_letters(GROUP, ids)
            console.print(f"requeued {moved} dead letter(s) to {GROUP}")
            return
        events = await platform.bus.dead_letters(GROUP)
    table = Table("type", "order", "payment", "occurred at")
    # Ids are copied into --requeue: never wrap or cut them.
    table.add_column("event id", no_wrap=True, min_width=36)
    for event in events:
        table.add_row(
            event.type,
            event.subject_id,
            str(event.payload.get("paymentId", "")),
            event.occurred_at.isoformat(timespec="seconds"),
            str(event.id),
        )
    console.print(table)
    console.print(f"{len(events)} dead letter(s) in {GROUP}")


@worker_app.command("analytics")
def analytics() -> None:
    """Move the Kafka log into the analytics store in batches, until stopped (Ctrl-C)."""
    from shopgraph.insights_cli import run_analytics_worker

    settings = Settings()
    if settings.kafka_url is None:
        console.print(
            "[red]the analytics worker reads the Kafka log: set SHOPGRAPH_KAFKA_URL[/] "
            "(`shopgraph dev` feeds analytics in-process)"
        )
        raise typer.Exit(code=1)
    asyncio.run(run_analytics_worker(settings))


@worker_app.command("recommendations")
def recommendations() -> None:
    """Keep the recommendation counts from events, until stopped (Ctrl-C)."""
    from shopgraph.insights_cli import run_recommendations_worker

    asyncio.run(run_recommendations_worker(Settings()))
