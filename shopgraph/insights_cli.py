"""Insights chores from the command line: the analytics worker (and the recommendations
rebuild), each on its own platform."""

from __future__ import annotations

import asyncio
import signal

from rich.console import Console

from subgraphs.insights.analytics.factory import create_analytics_store
from subgraphs.insights.analytics.worker import AnalyticsWorker
from subgraphs.insights.settings import InsightsSettings
from subgraphs.platform.resources import open_platform
from subgraphs.platform.settings import Settings

console = Console()


def stop_on_signals() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    return stop


async def run_analytics_worker(settings: Settings) -> None:
    insights = InsightsSettings()
    stop = stop_on_signals()
    store = create_analytics_store(settings, insights)
    try:
        await store.create_tables()
        async with open_platform(settings) as platform:
            if platform.log is None:
                raise RuntimeError("the analytics worker needs SHOPGRAPH_KAFKA_URL")
            topics = sorted(set(settings.kafka_routes.values()))
            worker = AnalyticsWorker(
                platform.log,
                store,
                topics,
                batch_size=insights.analytics_batch_size,
                flush_seconds=insights.analytics_flush_seconds,
            )
            console.print(f"[bold]analytics worker[/] reading {', '.join(topics)}; Ctrl-C stops it")
            await worker.run(stop)
            console.print(f"analytics worker stopped after {worker.committed} records")
    finally:
        await store.close()
