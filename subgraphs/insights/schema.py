"""The insights subgraph's GraphQL API: tracking, staff reports and recommendations."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, TypeAlias

import strawberry
from strawberry.dataloader import DataLoader
from strawberry.types import Info

from subgraphs.insights import activity, reports
from subgraphs.insights.analytics.port import Granularity
from subgraphs.insights.errors import InsightsErrorCode
from subgraphs.insights.recommendations import reading
from subgraphs.insights.services import InsightsServices
from subgraphs.platform.auth.principal import Principal
from subgraphs.platform.context import RequestContext
from subgraphs.platform.errors import (
    DomainError,
    UserError,
    forbidden,
    user_error_list,
)
from subgraphs.platform.money import Money
from subgraphs.platform.pagination import FIRST_SIZE, assumed_size
from subgraphs.platform.schema import federation_schema

NeighbourKey: TypeAlias = tuple[reading.Relation, str, int]  # relation, product, first
MAX_RECOMMENDATIONS = reading.MAX_FIRST


@dataclass(frozen=True)
class InsightsLoaders:
    neighbours: DataLoader[NeighbourKey, list[str]]


def make_loaders(services: InsightsServices) -> InsightsLoaders:
    async def load(keys: list[NeighbourKey]) -> list[list[str]]:
        # One query per (relation, first) in the batch: usually exactly one.
        groups: dict[tuple[reading.Relation, int], set[str]] = {}
        for relation, product_id, first in keys:
            groups.setdefault((relation, first), set()).add(product_id)
        found = {
            (relation, first): await reading.neighbours(services.database, relation, ids, first)
            for (relation, first), ids in groups.items()
        }
        return [found[(relation, first)][pid] for relation, pid, first in keys]

    return InsightsLoaders(neighbours=DataLoader(load_fn=load))


def _first(first: int) -> int:
    if not 1 <= first <= MAX_RECOMMENDATIONS:
        raise DomainError(
            InsightsErrorCode.INVALID_INPUT, f"first must be 1 to {MAX_RECOMMENDATIONS}", ["first"]
        )
    return first


Context: TypeAlias = RequestContext[InsightsServices, InsightsLoaders]
From: TypeAlias = Annotated[datetime, strawberry.argument(name="from")]
strawberry.enum(activity.TrackedEventType, name="TrackedEventType")
strawberry.enum(Granularity, name="Granularity")


def _staff(info: Info[Context, None]) -> InsightsServices:
    """The services, for a staff caller; anyone else gets an access error."""
    principal: Principal = info.context.require_principal()
    if not principal.is_staff:
        raise forbidden()
    return info.context.services


@strawberry.federation.type(keys=["id"])
class Product:
    id: strawberry.ID

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> Product:
        return cls(id=id)

    @strawberry.field(
        description="Products most often in the same paid orders as this one.",
        directives=[FIRST_SIZE],
    )
    async def frequently_bought_together(
        self, info: Info[Context, None], first: int = 5
    ) -> list[Product]:
        ids = await info.context.loaders.neighbours.load(("bought", str(self.id), _first(first)))
        return [Product(id=strawberry.ID(i)) for i in ids]

    @strawberry.field(
        description="Products most often viewed in the same sessions as this one.",
        directives=[FIRST_SIZE],
    )
    async def also_viewed(self, info: Info[Context, None], first: int = 5) -> list[Product]:
        ids = await info.context.loaders.neighbours.load(("viewed", str(self.id), _first(first)))
        return [Product(id=strawberry.ID(i)) for i in ids]


@strawberry.input
class TrackEventInput:
    type: activity.TrackedEventType
    product_id: strawberry.ID | None = None
    query: str | None = None


@strawberry.type
class TrackPayload:
    accepted: bool = False  # what a refused event answers, with its errors
    errors: list[UserError] = user_error_list()


@strawberry.type
class SalesPoint:
    bucket: datetime
    orders: int
    revenue: Money


@strawberry.type
class ProductStat:
    product: Product
    units_sold: int
    revenue: Money
    views: int


@strawberry.type
class Funnel:
    views: int
    adds_to_cart: int
    orders: int
    paid_orders: int


@strawberry.type
class SearchTermStat:
    query: str
    searches: int
    zero_results: int


@strawberry.type
class OperationStat:
    operation_name: str
    requests: int
    errors: int
    p95_ms: float


@strawberry.type
class Query:
    @strawberry.field(
        description="Personal when signed in, popular this week otherwise.",
        directives=[FIRST_SIZE],
    )
    async def recommendations(self, info: Info[Context, None], first: int = 10) -> list[Product]:
        services = info.context.services
        today = datetime.now(UTC).date()
        principal = info.context.principal
        if principal is None:
            ids = await reading.popular_cached(
                services.cache, services.database, _first(first), today
            )
        else:
            ids = await reading.personal(
                services.database, principal.user_id, _first(first), today, services.cache
            )
        return [Product(id=strawberry.ID(i)) for i in ids]

    @strawberry.field(
        description="Staff only: paid orders and revenue per hour or day.",
        directives=[assumed_size(24 * 31)],  # a month of hours, as a dashboard asks
    )
    async def sales_report(
        self,
        info: Info[Context, None],
        from_: From,
        to: datetime,
        granularity: Granularity = Granularity.DAY,
    ) -> list[SalesPoint]:
        services = _staff(info)
        points = await reports.sales_report(services, from_, to, granularity)
        currency = services.insights.currency
        return [
            SalesPoint(
                bucket=p.bucket, orders=p.orders, revenue=Money(amount=p.revenue, currency=currency)
            )
            for p in points
        ]

    @strawberry.field(
        description="Staff only: units, revenue and views per product.",
        directives=[FIRST_SIZE],
    )
    async def top_products(
        self,
        info: Info[Context, None],
        from_: From,
        to: datetime,
        first: int = 10,
    ) -> list[ProductStat]:
        services = _staff(info)
        stats = await reports.top_products(services, from_, to, first)
        currency = services.insights.currency
        return [
            ProductStat(
                product=Product(id=strawberry.ID(s.product_id)),
                units_sold=s.units_sold,
                revenue=Money(amount=s.revenue, currency=currency),
                views=s.views,
            )
            for s in stats
        ]

    @strawberry.field(description="Staff only: distinct sessions at each step to payment.")
    async def funnel(
        self,
        info: Info[Context, None],
        from_: From,
        to: datetime,
    ) -> Funnel:
        services = _staff(info)
        counts = await reports.funnel(services, from_, to)
        return Funnel(
            views=counts.views,
            adds_to_cart=counts.adds_to_cart,
            orders=counts.orders,
            paid_orders=counts.paid_orders,
        )

    @strawberry.field(
        description="Staff only: top search queries and zero-result ones.",
        directives=[FIRST_SIZE],
    )
    async def search_terms(
        self,
        info: Info[Context, None],
        from_: From,
        to: datetime,
        first: int = 20,
    ) -> list[SearchTermStat]:
        services = _staff(info)
        stats = await reports.search_terms(services, from_, to, first)
        return [
            SearchTermStat(query=s.query, searches=s.searches, zero_results=s.zero_results)
            for s in stats
        ]

    @strawberry.field(
        description="Staff only: requests, failures and p95 per operation.",
        directives=[FIRST_SIZE],
    )
    async def operation_stats(
        self,
        info: Info[Context, None],
        from_: From,
        to: datetime,
        first: int = 20,
    ) -> list[OperationStat]:
        services = _staff(info)
        stats = await reports.operation_stats(services, from_, to, first)
        return [
            OperationStat(
                operation_name=s.operation_name,
                requests=s.requests,
                errors=s.errors,
                p95_ms=s.p95_ms,
            )
            for s in stats
        ]


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description="Records a storefront event; anonymous callers send x-shopgraph-session."
    )
    async def track_event(self, info: Info[Context, None], input: TrackEventInput) -> TrackPayload:
        wanted = activity.Activity(
            type=input.type,
            product_id=str(input.product_id) if input.product_id is not None else None,
            query=input.query,
        )
        header = info.context.request.headers.get(activity.SESSION_HEADER)
        await activity.track_event(info.context.services, info.context.principal, header, wanted)
        return TrackPayload(accepted=True)


schema = federation_schema(
    query=Query, mutation=Mutation, types=[Product], error_codes=InsightsErrorCode
)
