"""Insights chores from the command line: the analytics worker (and the recommendations
rebuild), each on its own platform."""

from __future__ import annotations

from rich.console import Console

from shopgraph.stopping import stop_on_signals
from shopgraph.subscriptions import open_platform
from subgraphs.insights.analytics.factory import create_analytics_store
from subgraphs.insights.analytics.worker import AnalyticsWorker, relax_gc
from subgraphs.insights.settings import InsightsSettings
from subgraphs.platform.settings import Settings

console = Console()


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
            relax_gc()  # this process does nothing else
            await worker.run(stop)
            console.print(f"analytics worker stopped after {worker.committed} records")
    finally:
        await store.close()


async def run_recommendations_worker(settings: Settings) -> None:
    from subgraphs.insights.recommendations.consumer import GROUP, running_recommender
    from subgraphs.insights.services import MIGRATIONS, NAME
    from subgraphs.platform.database import Database
    from subgraphs.platform.migrations import upgrade

    stop = stop_on_signals()
    database = Database(settings, NAME)
    try:
        await upgrade(database, MIGRATIONS)
        async with open_platform(settings) as platform, running_recommender(database, platform.bus):
            where = (
                "the Kafka log" if GROUP in settings.kafka_groups and platform.log else "the bus"
            )
            console.print(f"[bold]recommendations worker[/] reading {where}; Ctrl-C stops it")
            await stop.wait()
    finally:
        await database.close()
    console.print("recommendations worker stopped")


async def rebuild_recommendations(settings: Settings) -> int:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from subgraphs.insights.recommendations.rebuild import rebuild
    from subgraphs.insights.services import MIGRATIONS, NAME
    from subgraphs.platform.database import Database
    from subgraphs.platform.migrations import upgrade

    database = Database(settings, NAME)
    try:
        await upgrade(database, MIGRATIONS)
        with Progress(
            TextColumn("[bold]replaying the event log"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
        ) as bar:
            task = bar.add_task("rebuild", total=None)

            def advance(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

            async with open_platform(settings) as platform:
                if platform.log is None:
                    raise RuntimeError("a rebuild replays the Kafka log: set SHOPGRAPH_KAFKA_URL")
                return await rebuild(database, platform.log, advance)
    finally:
        await database.close()
