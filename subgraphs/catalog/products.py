"""Products: reading them in batches and pages, and staff changing them."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypeAlias

from sqlalchemy import Integer, Select, bindparam, func, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from subgraphs.catalog.domain import (
    Category,
    Product,
    ProductChanges,
    ProductFilter,
    ProductSort,
    checked_filter,
    product_errors,
)
from subgraphs.catalog.errors import CatalogErrorCode
from subgraphs.catalog.events import product_event, stock_changed
from subgraphs.catalog.models import CategoryRow, ProductRow, outbox
from subgraphs.platform.auth.principal import Principal
from subgraphs.platform.columns import utc_now
from subgraphs.platform.database import Database
from subgraphs.platform.errors import DomainError, InvalidInput
from subgraphs.platform.events import add_to_outbox
from subgraphs.platform.money import to_amount
from subgraphs.platform.pagination import decode_cursor, encode_cursor, invalid_cursor

if TYPE_CHECKING:
    from subgraphs.catalog.services import CatalogServices

AnySelect: TypeAlias = Select[*tuple[Any, ...]]

MAX_PAGE = 100


@dataclass(frozen=True, slots=True)
class ProductPage:
    products: tuple[Product, ...]
    cursors: tuple[str, ...]
    has_next_page: bool
    total: int | None  # None: not asked for


# The columns a Product is made of, read as Core rows (no ORM objects): an entity
# lookup, a page of a listing and a write's answer read the same ones, through
# `product_of`.
_PRODUCT_COLUMNS = (
    ProductRow.id,
    ProductRow.name,
    ProductRow.description,
    ProductRow.price_amount,
    ProductRow.currency,
    ProductRow.stock,
    ProductRow.created_at,
    ProductRow.updated_at,
    ProductRow.deleted_at,
    CategoryRow.id.label("category_id"),
    CategoryRow.name.label("category_name"),
    CategoryRow.slug.label("category_slug"),
)


def _product_rows() -> AnySelect:
    return select(*_PRODUCT_COLUMNS).outerjoin(
        CategoryRow, CategoryRow.id == ProductRow.category_id
    )


def product_of(row: Any) -> Product:
    """The Product of a row of `_PRODUCT_COLUMNS`."""
    return Product(
        id=row.id,
        name=row.name,
        description=row.description,
        price=to_amount(row.price_amount),
        currency=row.currency,
        stock=row.stock,
        category=(
            Category(row.category_id, row.category_name, row.category_slug)
            if row.category_id is not None
            else None
        ),
        created_at=row.created_at,
        updated_at=row.updated_at,
        deleted_at=row.deleted_at,
    )


# Every entity reference (the router's product lookups, each cart and checkout)
# comes here: Core rows in autocommit, one round trip, no ORM identity map.
_BY_ID = _product_rows().where(ProductRow.id.in_(bindparam("ids", expanding=True)))


async def written_products(session: AsyncSession, ids: Sequence[str]) -> dict[str, Product]:
    """Products among `ids` as the caller's transaction just wrote them, for its answer
    and its events."""
    rows = (await session.execute(_BY_ID, {"ids": sorted(set(ids))})).all()
    return {row.id: product_of(row) for row in rows}


async def products_by_id(database: Database, ids: Sequence[str]) -> dict[str, Product]:
    """Products among `ids`, deleted ones included (past orders show them), in one statement."""
    if not ids:
        return {}
    async with database.reading() as connection:
        rows = (await connection.execute(_BY_ID, {"ids": sorted(set(ids))})).all()
    return {row.id: product_of(row) for row in rows}


# Each sort orders by one column and then id, so the order is total and a
# cursor (the last item's column value and id) finds the next page exactly,
# however many products are added meanwhile.
_SORTS = {
    ProductSort.NEWEST: (ProductRow.created_at, True),
    ProductSort.PRICE_ASC: (ProductRow.price_amount, False),
    ProductSort.PRICE_DESC: (ProductRow.price_amount, True),
    ProductSort.NAME: (ProductRow.name, False),
}


# Which of a filter's conditions apply: set bounds and category, and in_stock as given.
# Statements are built once per shape, the values go in as parameters.
FilterShape: TypeAlias = tuple[bool, bool, bool, bool | None]


def _filter_shape(product_filter: ProductFilter) -> FilterShape:
    return (
        product_filter.category_id is not None,
        product_filter.min_price is not None,
        product_filter.max_price is not None,
        product_filter.in_stock,
    )


def _filter_values(product_filter: ProductFilter) -> dict[str, object]:
    values = {
        "category_id": product_filter.category_id,
        "min_price": product_filter.min_price,
        "max_price": product_filter.max_price,
    }
    return {name: value for name, value in values.items() if value is not None}


def _conditions(shape: FilterShape) -> list[Any]:
    """The WHERE of a listing with this filter shape (not deleted, and what is set)."""
    category, min_price, max_price, in_stock = shape
    conditions: list[Any] = [ProductRow.deleted_at.is_(None)]
    if category:
        conditions.append(ProductRow.category_id == bindparam("category_id"))
    if min_price:
        conditions.append(ProductRow.price_amount >= bindparam("min_price"))
    if max_price:
        conditions.append(ProductRow.price_amount <= bindparam("max_price"))
    if in_stock is True:
        conditions.append(ProductRow.stock > 0)
    elif in_stock is False:
        conditions.append(ProductRow.stock == 0)
    return conditions


@functools.cache
def _count_statement(shape: FilterShape) -> AnySelect:
    return select(func.count()).select_from(ProductRow).where(*_conditions(shape))


@functools.cache
def _page_statement(
    sort: ProductSort, after: bool, with_total: bool, shape: FilterShape
) -> AnySelect:
    """A page's statement: filter values, cursor and size are its parameters, so each
    shape is built (and its cache key worked out) once, not once per request."""
    column, descending = _SORTS[sort]
    statement = _product_rows().where(*_conditions(shape))
    if with_total:
        statement = statement.add_columns(_count_statement(shape).scalar_subquery().label("total"))
    if after:
        # A row comparison, not `column < v OR (column = v AND id < last)`: PostgreSQL
        # starts the index scan at the cursor with it, where the OR form is a filter
        # that reads and drops every row of the pages before. Both keys run one way.
        keys = tuple_(column, ProductRow.id)
        cursor_keys = tuple_(
            bindparam("after_value", type_=column.type),
            bindparam("after_id", type_=ProductRow.id.type),
        )
        statement = statement.where(keys < cursor_keys if descending else keys > cursor_keys)
    order = (
        (column.desc(), ProductRow.id.desc()) if descending else (column.asc(), ProductRow.id.asc())
    )
    return statement.order_by(*order).limit(bindparam("keep", type_=Integer))


async def list_products(
    services: CatalogServices,
    first: int,
    after: str | None,
    product_filter: ProductFilter,
    sort: ProductSort,
    with_total: bool = True,
) -> ProductPage:
    """One page, its cursors and (`with_total`) the total, in one SQL statement.

    The total counts every matching product, a scan of the table: a listing that
    does not show it (the storefront's product cards) does not pay for it.
    """
    if not 0 <= first <= MAX_PAGE:
        raise DomainError(
            CatalogErrorCode.INVALID_PAGE_SIZE, f"first must be between 0 and {MAX_PAGE}", ["first"]
        )
    product_filter = checked_filter(product_filter)
    sort = sort if sort in _SORTS else ProductSort.NEWEST
    column = _SORTS[sort][0]
    shape = _filter_shape(product_filter)
    parameters = {**_filter_values(product_filter), "keep": first + 1}
    if after is not None:
        parameters["after_value"], parameters["after_id"] = _after(column, after)
    statement = _page_statement(sort, after is not None, with_total, shape)
    # One statement (the total is a subquery of it): autocommit, no BEGIN and COMMIT.
    async with services.database.reading() as connection:
        rows = (await connection.execute(statement, parameters)).all()
    page = rows[:first]
    count = None
    if with_total:
        count = rows[0].total if rows else await _count(services, product_filter)
    return ProductPage(
        products=tuple(product_of(row) for row in page),
        cursors=tuple(
            encode_cursor([column.key, _cursor_value(row, column), row.id]) for row in page
        ),
        has_next_page=len(rows) > first,
        total=None if count is None else int(count),
    )


async def _count(services: CatalogServices, product_filter: ProductFilter) -> int:
    # Only past the last page: the page query returned no row to carry the total.
    statement = _count_statement(_filter_shape(product_filter))
    async with services.database.reading() as connection:
        return int(await connection.scalar(statement, _filter_values(product_filter)) or 0)


def _cursor_value(row: Any, column: Any) -> object:
    value = getattr(row, column.key)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _after(column: Any, cursor: str) -> tuple[object, str]:
    """The sort value and id a cursor holds; INVALID_CURSOR when it is not one of this sort's.

    The cursor names the column it was made for: a NEWEST cursor holds a time,
    which means nothing to a page sorted by price."""
    key, raw, last_id = decode_cursor(cursor, 3)
    if key != column.key or not isinstance(last_id, str) or not isinstance(raw, str):
        raise invalid_cursor()
    try:
        value: object = (
            datetime.fromisoformat(raw)
            if column.key == "created_at"
            else Decimal(raw)
            if column.key == "price_amount"
            else raw
        )
    except (ValueError, ArithmeticError) as error:  # decimal.InvalidOperation is arithmetic
        raise invalid_cursor() from error
    if isinstance(value, Decimal) and not value.is_finite():
        raise invalid_cursor()
    if isinstance(value, datetime) and value.tzinfo is None:
        raise invalid_cursor()  # ours always carry the zone; a naive time compares by guess
    return value, last_id


def _require_staff(principal: Principal | None) -> None:
    if principal is None or not principal.is_staff:
        raise DomainError(CatalogErrorCode.FORBIDDEN, "only staff may change the catalog")


async def _check_category(session: AsyncSession, category_id: str | None) -> None:
    if category_id is not None and await session.get(CategoryRow, category_id) is None:
        raise InvalidInput(
            [
                DomainError(
                    CatalogErrorCode.UNKNOWN_CATEGORY,
                    "there is no such category",
                    ["input", "categoryId"],
                )
            ]
        )


async def create_product(
    services: CatalogServices,
    principal: Principal | None,
    name: str,
    description: str,
    price: Decimal,
    currency: str,
    stock: int,
    category_id: str | None,
) -> Product:
    _require_staff(principal)
    errors = product_errors(name, description, price, stock, currency)
    if errors:
        raise InvalidInput(errors)
    now = utc_now()
    row = ProductRow(
        id=str(uuid.uuid4()),
        name=name.strip(),
        description=description,
        price_amount=to_amount(price),
        currency=currency,
        stock=stock,
        category_id=category_id,
        created_at=now,
        updated_at=now,
        deleted_at=None,
    )
    async with services.database.session() as session:
        await _check_category(session, category_id)
        session.add(row)
        await session.flush()
        product = (await written_products(session, [row.id]))[row.id]
        await add_to_outbox(session, outbox, [product_event("product.created", product)])
    services.relay.notify()
    return product


async def update_product(
    services: CatalogServices, principal: Principal | None, product_id: str, changes: ProductChanges
) -> Product:
    _require_staff(principal)
    errors = product_errors(changes.name, changes.description, changes.price, changes.stock, None)
    if errors:
        raise InvalidInput(errors)
    async with services.database.session() as session:
        row = await session.get(
            ProductRow, product_id, with_for_update=not services.database.is_sqlite
        )
        if row is None or row.deleted_at is not None:
            raise DomainError(
                CatalogErrorCode.PRODUCT_NOT_FOUND, "there is no such product", ["id"]
            )
        if changes.category_id is not None:
            await _check_category(session, changes.category_id)
            row.category_id = changes.category_id
        if changes.name is not None:
            row.name = changes.name.strip()
        if changes.description is not None:
            row.description = changes.description
        if changes.price is not None:
            row.price_amount = to_amount(changes.price)
        stock_before = row.stock
        if changes.stock is not None:
            row.stock = changes.stock
        row.updated_at = utc_now()
        await session.flush()
        product = (await written_products(session, [product_id]))[product_id]
        events = [product_event("product.updated", product)]
        if changes.stock is not None and changes.stock != stock_before:
            events.append(
                stock_changed(product.id, changes.stock, changes.stock - stock_before, "adjusted")
            )
        await add_to_outbox(session, outbox, events)
    services.relay.notify()
    return product


async def delete_product(
    services: CatalogServices, principal: Principal | None, product_id: str
) -> str:
    """Soft-deletes: the product leaves lists and search but past orders still resolve it."""
    _require_staff(principal)
    async with services.database.session() as session:
        result = await session.execute(
            update(ProductRow)
            .where(ProductRow.id == product_id, ProductRow.deleted_at.is_(None))
            .values(deleted_at=utc_now(), updated_at=utc_now())
            .returning(ProductRow.id)
        )
        if result.scalar_one_or_none() is None:
            raise DomainError(
                CatalogErrorCode.PRODUCT_NOT_FOUND, "there is no such product", ["id"]
            )
        deleted = (await written_products(session, [product_id]))[product_id]
        await add_to_outbox(session, outbox, [product_event("product.deleted", deleted)])
    services.relay.notify()
    return product_id
