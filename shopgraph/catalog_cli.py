"""`shopgraph search reindex`: catalog chores from the command line."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from shopgraph.subscriptions import open_platform
from subgraphs.catalog.indexer import reindex_all
from subgraphs.catalog.services import CatalogServices, open_services
from subgraphs.catalog.settings import CatalogSettings
from subgraphs.platform.settings import Settings

console = Console()


@asynccontextmanager
async def catalog_services(settings: Settings) -> AsyncIterator[CatalogServices]:
    async with open_platform(settings) as platform, open_services(platform) as services:
        yield services


async def reindex(settings: Settings) -> int:
    with Progress(
        TextColumn("[bold]reindexing products"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console,
    ) as progress:
        task = progress.add_task("reindex", total=None)

        def advance(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        async with catalog_services(settings) as services:
            return await reindex_all(services.database, services.search, advance)


def run_reindex(settings: Settings) -> None:
    count = asyncio.run(reindex(settings))
    console.print(
        f"[green]indexed[/] {count} products into the {CatalogSettings().search_backend} backend"
    )
