"""The catalog subgraph's GraphQL API. Resolvers parse, call one service, shape the payload."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import TypeAlias

import strawberry
from strawberry.dataloader import DataLoader
from strawberry.federation.schema_directives import Cost
from strawberry.types import Info
from strawberry.types.nodes import FragmentSpread, InlineFragment, Selection

from subgraphs.catalog import categories, products, reservations, search_service
from subgraphs.catalog.domain import Category as CategoryValue
from subgraphs.catalog.domain import Product as ProductValue
from subgraphs.catalog.domain import ProductChanges, ProductFilter, ProductSort
from subgraphs.catalog.errors import CatalogErrorCode
from subgraphs.catalog.services import CatalogServices
from subgraphs.platform.context import RequestContext
from subgraphs.platform.errors import (
    DeletePayload,
    UserError,
    user_error_list,
)
from subgraphs.platform.money import Money
from subgraphs.platform.pagination import CONNECTION_SIZE, PageInfo, assumed_size, page_info
from subgraphs.platform.schema import federation_schema

# The storefront's session id, passed on by the router (SHOPGRAPH_ROUTER_FORWARD_HEADERS).
SESSION_HEADER = "x-shopgraph-session"


@dataclass(frozen=True)
class CatalogLoaders:
    products: DataLoader[str, ProductValue | None]


def make_loaders(services: CatalogServices) -> CatalogLoaders:
    async def load(ids: list[str]) -> list[ProductValue | None]:
        found = await products.products_by_id(services.database, ids)
        return [found.get(product_id) for product_id in ids]

    return CatalogLoaders(products=DataLoader(load_fn=load))


Context: TypeAlias = RequestContext[CatalogServices, CatalogLoaders]
strawberry.enum(ProductSort, name="ProductSort")


@strawberry.type
class Category:
    id: strawberry.ID
    name: str
    slug: str

    @classmethod
    def of(cls, category: CategoryValue) -> Category:
        return cls(id=strawberry.ID(category.id), name=category.name, slug=category.slug)


@strawberry.federation.type(keys=["id"])
class Product:
    id: strawberry.ID
    name: str
    description: str
    price: Money
    stock: int
    in_stock: bool
    category: Category | None
    created_at: datetime
    updated_at: datetime
    deleted: bool = strawberry.federation.field(
        inaccessible=True, description="Internal: soft-deleted, no longer for sale."
    )

    @classmethod
    async def resolve_reference(
        cls, info: Info[Context, None], id: strawberry.ID
    ) -> Product | None:
        # Deleted products still resolve here: past orders must show what was bought.
        product = await info.context.loaders.products.load(str(id))
        return None if product is None else cls.of(product)

    @classmethod
    def of(cls, product: ProductValue) -> Product:
        return cls(
            id=strawberry.ID(product.id),
            name=product.name,
            description=product.description,
            price=Money(amount=product.price, currency=product.currency),
            stock=product.stock,
            in_stock=product.in_stock,
            category=Category.of(product.category) if product.category else None,
            created_at=product.created_at,
            updated_at=product.updated_at,
            deleted=product.deleted_at is not None,
        )


@strawberry.federation.type(shareable=True)
class ProductEdge:
    cursor: str
    node: Product


@strawberry.type
class ProductConnection:
    edges: list[ProductEdge]
    page_info: PageInfo
    total_count: int


@strawberry.type
class FacetValue:
    value: str
    label: str
    count: int


@strawberry.type
class Facet:
    name: str
    values: list[FacetValue] = strawberry.field(directives=[assumed_size(20)])


@strawberry.type
class ProductSearchResult:
    edges: list[ProductEdge]
    page_info: PageInfo
    total_count: int
    facets: list[Facet] = strawberry.field(directives=[assumed_size(5)])


@strawberry.input(name="ProductFilter")
class ProductFilterInput:
    category_id: strawberry.ID | None = None
    min_price: Decimal | None = None
    max_price: Decimal | None = None
    in_stock: bool | None = None

    def value(self) -> ProductFilter:
        return ProductFilter(
            category_id=str(self.category_id) if self.category_id is not None else None,
            min_price=self.min_price,
            max_price=self.max_price,
            in_stock=self.in_stock,
        )


@strawberry.input
class ProductInput:
    name: str
    description: str
    price: Decimal
    currency: str | None = "USD"
    stock: int
    category_id: strawberry.ID | None = None


@strawberry.input
class ProductUpdateInput:
    name: str | None = None
    description: str | None = None
    price: Decimal | None = None
    stock: int | None = None
    category_id: strawberry.ID | None = None


@strawberry.type
class ProductPayload:
    product: Product | None = None
    errors: list[UserError] = user_error_list()


# The reservation API is internal: hidden from the supergraph along with its types.
@strawberry.federation.input(inaccessible=True)
class ReservationLineInput:
    product_id: strawberry.ID
    quantity: int


@strawberry.federation.type(name="ReservationLine", inaccessible=True)
class ReservationLineType:
    product_id: strawberry.ID
    quantity: int
    # What an order line needs, so that checkout asks catalog once: set by reserveStock
    # only (null in releaseStock and commitStock).
    name: str | None = strawberry.field(
        default=None, description="The product's name when it was reserved."
    )
    price: Money | None = strawberry.field(
        default=None, description="The product's price when it was reserved."
    )
    deleted: bool | None = strawberry.field(
        default=None, description="Whether the product is deleted (a reservation made before)."
    )


@strawberry.federation.type(inaccessible=True)
class StockReservation:
    order_id: strawberry.ID
    status: str
    lines: list[ReservationLineType] = strawberry.field(directives=[assumed_size(20)])


@strawberry.federation.type(inaccessible=True)
class SettlementPayload:
    settled: int = 0
    errors: list[UserError] = user_error_list()


@strawberry.federation.type(inaccessible=True)
class ReservationPayload:
    reservation: StockReservation | None = None
    errors: list[UserError] = user_error_list()

    @classmethod
    def of(cls, reservation: reservations.Reservation | None) -> ReservationPayload:
        if reservation is None:
            return cls()
        products = {product.product_id: product for product in reservation.products}
        lines = [_line_of(line, products.get(line.product_id)) for line in reservation.lines]
        order_id = strawberry.ID(reservation.order_id)
        return cls(
            reservation=StockReservation(order_id=order_id, status=reservation.status, lines=lines)
        )


def _line_of(
    line: reservations.ReservationLine, product: reservations.ReservedProduct | None
) -> ReservationLineType:
    product_id = strawberry.ID(line.product_id)
    if product is None:
        return ReservationLineType(product_id=product_id, quantity=line.quantity)
    return ReservationLineType(
        product_id=product_id,
        quantity=line.quantity,
        name=product.name,
        price=Money(amount=product.price, currency=product.currency),
        deleted=product.deleted,
    )


def edges(items: list[ProductValue], cursors: list[str]) -> list[ProductEdge]:
    return [ProductEdge(cursor=c, node=Product.of(p)) for p, c in zip(items, cursors, strict=True)]


def _selects(selections: Sequence[Selection], name: str) -> bool:
    """Whether the field resolving under these selects `name`, fragments included."""
    for selection in selections:
        for child in selection.selections:
            if isinstance(child, (FragmentSpread, InlineFragment)):
                if _selects([child], name):
                    return True
            elif child.name == name:
                return True
    return False


@strawberry.type
class Query:
    @strawberry.field
    async def product(self, info: Info[Context, None], id: strawberry.ID) -> Product | None:
        found = await info.context.loaders.products.load(str(id))
        if found is None or found.deleted_at is not None:
            return None
        return Product.of(found)

    @strawberry.field(directives=[CONNECTION_SIZE])
    async def products(
        self,
        info: Info[Context, None],
        first: int = 20,
        after: str | None = None,
        filter: ProductFilterInput | None = None,
        sort: ProductSort = ProductSort.NEWEST,
    ) -> ProductConnection:
        page = await products.list_products(
            info.context.services,
            first,
            after,
            filter.value() if filter else ProductFilter(),
            sort,
            with_total=_selects(info.selected_fields, "totalCount"),
        )
        cursors = list(page.cursors)
        return ProductConnection(
            edges=edges(list(page.products), cursors),
            page_info=page_info(cursors, page.has_next_page, after),
            # Not counted only when not selected: then no client sees it.
            total_count=0 if page.total is None else page.total,
        )

    # A full-text search with facets costs more than a page of a listing.
    @strawberry.field(directives=[CONNECTION_SIZE, Cost(weight=10)])
    async def search_products(
        self,
        info: Info[Context, None],
        query: str,
        first: int = 20,
        after: str | None = None,
        filter: ProductFilterInput | None = None,
        sort: ProductSort = ProductSort.RELEVANCE,
    ) -> ProductSearchResult:
        searcher = search_service.Searcher(
            info.context.request.headers.get(SESSION_HEADER), info.context.principal
        )
        result = await search_service.search(
            info.context.services,
            query,
            first,
            after,
            filter.value() if filter else ProductFilter(),
            searcher,
            sort,
        )
        cursors = list(result.cursors)
        return ProductSearchResult(
            edges=edges(list(result.products), cursors),
            page_info=page_info(cursors, result.has_next_page, after),
            total_count=result.total,
            facets=[
                Facet(
                    name=f.name,
                    values=[
                        FacetValue(value=v.value, label=v.label, count=v.count) for v in f.values
                    ],
                )
                for f in result.facets
            ],
        )

    @strawberry.field(directives=[assumed_size(50)])
    async def categories(self, info: Info[Context, None]) -> list[Category]:
        return [
            Category.of(c) for c in await categories.all_categories(info.context.services.database)
        ]


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Staff only.")
    async def create_product(
        self, info: Info[Context, None], input: ProductInput
    ) -> ProductPayload:
        product = await products.create_product(
            info.context.services,
            info.context.principal,
            input.name,
            input.description,
            input.price,
            input.currency or "USD",
            input.stock,
            str(input.category_id) if input.category_id is not None else None,
        )
        return ProductPayload(product=Product.of(product))

    @strawberry.mutation(description="Staff only.")
    async def update_product(
        self, info: Info[Context, None], id: strawberry.ID, input: ProductUpdateInput
    ) -> ProductPayload:
        changes = ProductChanges(
            name=input.name,
            description=input.description,
            price=input.price,
            stock=input.stock,
            category_id=str(input.category_id) if input.category_id is not None else None,
        )
        product = await products.update_product(
            info.context.services, info.context.principal, str(id), changes
        )
        return ProductPayload(product=Product.of(product))

    @strawberry.mutation(description="Staff only. Past orders keep showing the product.")
    async def delete_product(self, info: Info[Context, None], id: strawberry.ID) -> DeletePayload:
        deleted = await products.delete_product(
            info.context.services, info.context.principal, str(id)
        )
        return DeletePayload(deleted_id=strawberry.ID(deleted))

    @strawberry.federation.mutation(
        inaccessible=True, description="Internal: commerce at checkout."
    )
    async def reserve_stock(
        self, info: Info[Context, None], order_id: strawberry.ID, lines: list[ReservationLineInput]
    ) -> ReservationPayload:
        info.context.require_service()
        wanted = [
            reservations.ReservationLine(str(line.product_id), line.quantity) for line in lines
        ]
        reservation = await reservations.reserve(info.context.services, str(order_id), wanted)
        return ReservationPayload.of(reservation)

    @strawberry.federation.mutation(
        inaccessible=True, description="Internal: order failed or expired."
    )
    async def release_stock(
        self, info: Info[Context, None], order_id: strawberry.ID
    ) -> ReservationPayload:
        info.context.require_service()
        return ReservationPayload.of(
            await reservations.release(info.context.services, str(order_id))
        )

    @strawberry.federation.mutation(inaccessible=True, description="Internal: order paid.")
    async def commit_stock(
        self, info: Info[Context, None], order_id: strawberry.ID
    ) -> ReservationPayload:
        info.context.require_service()
        return ReservationPayload.of(
            await reservations.commit(info.context.services, str(order_id))
        )

    @strawberry.federation.mutation(
        inaccessible=True, description="Internal: many orders paid, failed or expired at once."
    )
    async def settle_stock(
        self,
        info: Info[Context, None],
        commits: list[strawberry.ID],
        releases: list[strawberry.ID],
    ) -> SettlementPayload:
        info.context.require_service()
        settled = await reservations.settle_many(
            info.context.services, [str(key) for key in commits], [str(key) for key in releases]
        )
        return SettlementPayload(settled=settled)


schema = federation_schema(
    query=Query, mutation=Mutation, types=[Product], error_codes=CatalogErrorCode
)
