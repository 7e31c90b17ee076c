"""`shopgraph worker NAME`: the background workers that run beside the subgraphs.

`payments` charges placed orders and moves them (see subgraphs/commerce/payments/worker.py).
`orders` runs commerce's order jobs (payment outcomes, carts emptied on
`order.placed`, the sweeper) when commerce runs with `SHOPGRAPH_ORDER_JOBS=worker`
(see subgraphs/commerce/background.py).
`outbox` publishes the subgraphs' outboxes when `SHOPGRAPH_OUTBOX_RELAY=worker`
(see subgraphs/platform/events/outbox_worker.py).
With `--dead-letters` it lists the events that ran out of retries instead, and
with `--requeue` it puts them back on the payments queue. `analytics` moves
the Kafka log into the analytics store (see shopgraph/insights_cli.py).
"""

from __future__ import annotations

import asyncio
import os
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import Table as SqlTable

from shopgraph.heap import freeze_startup_objects
from shopgraph.loading import load_settings
from shopgraph.stopping import stop_on_signals
from subgraphs.platform.settings import Settings

worker_app = typer.Typer(help="Run background workers.")
console = Console()


@worker_app.callback()
def yield_to_requests() -> None:
    """Every worker lowers its priority by SHOPGRAPH_WORKER_NICENESS first."""
    niceness = load_settings().worker_niceness
    if niceness:
        os.nice(niceness)


def _missing(setting: str, why: str, instead: str) -> typer.Exit:
    """Says which setting a worker cannot start without, and why; raise what it returns."""
    console.print(f"[red]{why}: set {setting}[/] ({instead})")
    return typer.Exit(code=1)


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
    settings = load_settings()
    if dead_letters or requeue:
        if settings.amqp_url is None:
            raise _missing(
                "SHOPGRAPH_AMQP_URL",
                "dead letters are kept by RabbitMQ",
                "the in-process bus of `shopgraph dev` keeps them in its own process",
            )
        asyncio.run(_dead_letters(settings, requeue))
        return
    asyncio.run(_run_payments(settings))


async def _run_payments(settings: Settings) -> None:
    from shopgraph.subscriptions import open_platform
    from subgraphs.commerce.payments.worker import running_payments_worker
    from subgraphs.commerce.services import open_core, require_service_token

    # It moves the orders it charges, which commits or releases their stock in catalog.
    require_service_token(settings)
    stop = stop_on_signals()
    async with (
        open_platform(settings) as platform,
        open_core(platform) as services,
        running_payments_worker(services),
    ):
        freeze_startup_objects()
        console.print("[bold]payments worker[/] running; Ctrl-C stops it")
        await stop.wait()
    console.print("payments worker stopped")


@worker_app.command("orders")
def orders() -> None:
    """Apply payment outcomes to orders, empty carts of what orders bought and sweep
    expired orders and holds, until stopped (Ctrl-C).

    Run it (one or more of it) with SHOPGRAPH_ORDER_JOBS=worker set for commerce,
    which then leaves these jobs to it.
    """
    settings = load_settings()
    if settings.amqp_url is None:
        raise _missing(
            "SHOPGRAPH_AMQP_URL",
            "the orders worker takes its events from RabbitMQ",
            "`shopgraph dev` runs the order jobs inside its one process",
        )
    asyncio.run(_run_orders(settings))


async def _run_orders(settings: Settings) -> None:
    from shopgraph.subscriptions import open_platform
    from subgraphs.commerce.background import running_order_jobs
    from subgraphs.commerce.services import open_core, require_service_token

    # Outcomes commit or release stock in catalog: without the token every one would fail.
    require_service_token(settings)
    stop = stop_on_signals()
    async with (
        open_platform(settings) as platform,
        open_core(platform) as services,
        running_order_jobs(services),
    ):
        freeze_startup_objects()
        console.print("[bold]orders worker[/] running; Ctrl-C stops it")
        await stop.wait()
    console.print("orders worker stopped")


async def _dead_letters(settings: Settings, requeue: list[str] | None) -> None:
    import uuid

    from shopgraph.subscriptions import open_platform
    from subgraphs.commerce.queues import PAYMENTS_GROUP

    async with open_platform(settings) as platform:
        if requeue:
            ids = None if requeue == ["all"] else {uuid.UUID(value) for value in requeue}
            moved = await platform.bus.requeue_dead_letters(PAYMENTS_GROUP, ids)
            console.print(f"requeued {moved} dead letter(s) to {PAYMENTS_GROUP}")
            return
        events = await platform.bus.dead_letters(PAYMENTS_GROUP)
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
    console.print(f"{len(events)} dead letter(s) in {PAYMENTS_GROUP}")


@worker_app.command("outbox")
def outbox(
    subgraphs: Annotated[
        list[str] | None,
        typer.Option("--subgraph", help="Relay only this subgraph's outbox (repeatable)."),
    ] = None,
) -> None:
    """Publish committed outbox events to the bus, woken by PostgreSQL, until stopped (Ctrl-C).

    Run it (one or more of it) with SHOPGRAPH_OUTBOX_RELAY=worker set for every
    subgraph, which then leave their outboxes to it.
    """
    from shopgraph.registry import SUBGRAPHS

    settings = load_settings()
    if settings.database_url is None or not settings.database_url.startswith("postgresql"):
        raise _missing(
            "SHOPGRAPH_DATABASE_URL",
            "the outbox worker listens to PostgreSQL",
            "`shopgraph dev` relays inside its one process",
        )
    with_outbox = [
        name for name, entry in SUBGRAPHS.items() if _outbox_of(entry.module) is not None
    ]
    chosen = subgraphs or with_outbox
    unknown = sorted(set(chosen) - set(with_outbox))
    if unknown:
        console.print(
            f"[red]no outbox in {', '.join(unknown)}[/]; subgraphs with one: "
            + ", ".join(with_outbox)
        )
        raise typer.Exit(code=2)
    asyncio.run(_run_outbox(settings, settings.database_url, chosen))


def _outbox_of(module: str) -> SqlTable | None:
    import importlib

    table = getattr(importlib.import_module(f"{module}.models"), "outbox", None)
    return table if isinstance(table, SqlTable) else None


async def _run_outbox(settings: Settings, database_url: str, names: list[str]) -> None:
    from contextlib import AsyncExitStack

    from shopgraph.registry import SUBGRAPHS
    from shopgraph.subscriptions import open_platform
    from subgraphs.platform.database import Database
    from subgraphs.platform.events.outbox_worker import running_outbox_relays

    stop = stop_on_signals()
    async with AsyncExitStack() as stack:
        platform = await stack.enter_async_context(open_platform(settings))
        relays = {}
        for name in names:
            table = _outbox_of(SUBGRAPHS[name].module)
            if table is None:
                raise RuntimeError(f"{name} lost its outbox")
            database = Database(settings, name)
            stack.push_async_callback(database.close)
            relays[name] = platform.outbox_relay(database, table)
        await stack.enter_async_context(running_outbox_relays(database_url, relays))
        freeze_startup_objects()
        console.print(f"[bold]outbox worker[/] relaying {', '.join(names)}; Ctrl-C stops it")
        await stop.wait()
    console.print("outbox worker stopped")


@worker_app.command("analytics")
def analytics() -> None:
    """Move the Kafka log into the analytics store in batches, until stopped (Ctrl-C)."""
    from shopgraph.insights_cli import run_analytics_worker

    settings = load_settings()
    if settings.kafka_url is None:
        raise _missing(
            "SHOPGRAPH_KAFKA_URL",
            "the analytics worker reads the Kafka log",
            "`shopgraph dev` feeds analytics in-process",
        )
    asyncio.run(run_analytics_worker(settings))


@worker_app.command("recommendations")
def recommendations() -> None:
    """Keep the recommendation counts from events, until stopped (Ctrl-C)."""
    from shopgraph.insights_cli import run_recommendations_worker

    asyncio.run(run_recommendations_worker(load_settings()))
