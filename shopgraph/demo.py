"""The demo shop across subgraphs: catalog, demo customers and their reviews.

`shopgraph dev` seeds it on first start and `shopgraph seed` on demand. Each
part is added only where it is missing, and is the same on every run.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from rich.console import Console

from shopgraph.subscriptions import open_platform
from subgraphs.catalog.indexer import reindex_all
from subgraphs.catalog.products import products_by_id
from subgraphs.catalog.seed import seed_catalog, seed_id
from subgraphs.catalog.seed_data import demo_products
from subgraphs.catalog.services import CatalogServices
from subgraphs.catalog.services import open_services as open_catalog
from subgraphs.platform.settings import Settings
from subgraphs.social.seed import seed_reviews
from subgraphs.social.services import SocialServices
from subgraphs.social.services import open_services as open_social
from subgraphs.users.seed import seed_customers
from subgraphs.users.services import UserServices
from subgraphs.users.services import open_services as open_users

console = Console()


@dataclass(frozen=True)
class Seeded:
    products: int
    reviews: int


async def seed_demo_shop(
    catalog: CatalogServices, users: UserServices, social: SocialServices
) -> Seeded:
    products = await seed_catalog(catalog)
    customers = await seed_customers(users)
    # Only demo products the catalog really has (and still sells) get reviews.
    wanted = [seed_id(f"product/{seed.key}") for seed in demo_products()]
    found = await products_by_id(catalog.database, wanted)
    live = [i for i in wanted if i in found and found[i].deleted_at is None]
    reviews = await seed_reviews(social, live, [customer.id for customer in customers])
    return Seeded(products, reviews)


@asynccontextmanager
async def _services(
    settings: Settings,
) -> AsyncIterator[tuple[CatalogServices, UserServices, SocialServices]]:
    async with (
        open_platform(settings) as platform,
        open_catalog(platform) as catalog,
        open_users(platform) as users,
        open_social(platform) as social,
    ):
        yield catalog, users, social


async def seed(settings: Settings) -> Seeded:
    async with _services(settings) as (catalog, users, social):
        seeded = await seed_demo_shop(catalog, users, social)
        # The relay and indexer stop with the services; index now rather than wait.
        await reindex_all(catalog.database, catalog.search)
        return seeded


def run_seed(settings: Settings) -> None:
    seeded = asyncio.run(seed(settings))
    if seeded.products:
        console.print(f"[green]seeded[/] {seeded.products} demo products")
    else:
        console.print("the catalog already has products; no products seeded")
    if seeded.reviews:
        console.print(f"[green]seeded[/] {seeded.reviews} demo reviews by demo customers")
    else:
        console.print("social already has reviews; no reviews seeded")
