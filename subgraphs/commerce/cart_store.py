"""Where carts are kept: one Redis hash per user in production, a table in dev.

A cart is product id -> quantity, in the order products were first added.
Every read or write pushes the expiry back, so a cart lives until it has been
left alone for `CART_TTL_SECONDS` (Redis expires it; the table store drops idle
carts when read).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal, Protocol

import redis.asyncio as redis
from sqlalchemy import delete, func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from subgraphs.commerce.catalog_client import CatalogProduct
from subgraphs.commerce.checked_change import (
    CHANGE_CHECKED,
    CheckedChange,
    Lookup,
    lines_after,
    read_reply,
    refusal_of,
    script_arguments,
)
from subgraphs.commerce.models import CartLineRow
from subgraphs.platform.columns import utc_now
from subgraphs.platform.database import Database

CART_TTL_SECONDS = 30 * 24 * 3600


@dataclass(frozen=True, slots=True)
class LineChange:
    """What a change did: the line's quantity before and after, or why it was refused."""

    before: int
    after: int
    refused: Literal["cap", "lines"] | None = None


class CartStore(Protocol):
    async def lines(self, user_id: str) -> list[tuple[str, int]]:
        """(product id, quantity) pairs, oldest first; an idle-expired cart is empty."""
        ...

    async def change_line(
        self, user_id: str, product_id: str, quantity: int, *, add: bool, cap: int, max_lines: int
    ) -> LineChange:
        """Sets a line to `quantity` (0 removes it), or adds `quantity` to it, atomically.

        Refused, changing nothing, when the line would go over `cap` ("cap") or when
        it is new and the cart already has `max_lines` lines ("lines").
        """
        ...

    async def change_checked(
        self,
        user_id: str,
        product_id: str,
        quantity: int,
        *,
        add: bool,
        max_quantity: int,
        max_lines: int,
        lookup: Lookup,
    ) -> CheckedChange:
        """`change_line` if `product_id` may go in the cart (checked_change.py), capped at
        the smaller of `max_quantity` and its stock; products come from the product
        cache, and through `lookup` (catalog) those it lacks."""
        ...

    async def clear(self, user_id: str) -> None: ...

    async def remove_bought(
        self, user_id: str, product_ids: Collection[str], placed_at: datetime
    ) -> None:
        """Removes the lines of these products that were in the cart when an order of
        them was placed. Lines added later stay, so doing it again changes nothing."""
        ...


# Atomic, so concurrent requests of one user neither lose an addition nor push
# a cart past its limits. KEYS[1] cart; ARGV: product, quantity, now in ms,
# cap, max lines, ttl, "add" or "set". Returns {before, after, refusal code}.
_CHANGE_LINE = """
local current = redis.call('HGET', KEYS[1], ARGV[1])
local before = 0
local added = ARGV[3]
if current then
  before = tonumber(string.match(current, '^(%d+)'))
  added = string.match(current, ':(%d+)$')
end
local after = tonumber(ARGV[2])
if ARGV[7] == 'add' then after = before + after end
if after > tonumber(ARGV[4]) then return {before, before, 1} end
if after == 0 then
  redis.call('HDEL', KEYS[1], ARGV[1])
else
  if not current and redis.call('HLEN', KEYS[1]) >= tonumber(ARGV[5]) then
    return {before, before, 2}
  end
  redis.call('HSET', KEYS[1], ARGV[1], after .. ':' .. added)
end
redis.call('EXPIRE', KEYS[1], ARGV[6])
return {before, after, 0}
"""
_REFUSALS: dict[int, Literal["cap", "lines"] | None] = {0: None, 1: "cap", 2: "lines"}

# KEYS[1] cart; ARGV[1] ttl. The cart's fields and values, its expiry pushed back:
# one command, where MULTI, HGETALL, EXPIRE and EXEC took four replies to parse.
_READ_LINES = """
local fields = redis.call('HGETALL', KEYS[1])
redis.call('EXPIRE', KEYS[1], ARGV[1])
return fields
"""

# KEYS[1] cart; ARGV[1] the order's time in ms, then the products it bought.
_REMOVE_BOUGHT = """
for i = 2, #ARGV do
  local current = redis.call('HGET', KEYS[1], ARGV[i])
  if current then
    local added = tonumber(string.match(current, ':(%d+)$') or '0')
    if added <= tonumber(ARGV[1]) then redis.call('HDEL', KEYS[1], ARGV[i]) end
  end
end
return 0
"""


class RedisCartStore:
    """Field = product id, value = "quantity:first-added-in-ms" (to keep line order)."""

    def __init__(self, client: redis.Redis) -> None:
        """On the process's shared client, which its owner closes."""
        self.client = self._redis = client
        self._read_lines = self._redis.register_script(_READ_LINES)
        self._change_line = self._redis.register_script(_CHANGE_LINE)
        self._change_checked = self._redis.register_script(CHANGE_CHECKED)
        self._remove_bought = self._redis.register_script(_REMOVE_BOUGHT)

    async def close(self) -> None:
        """The client belongs to the platform, which closes it."""

    async def lines(self, user_id: str) -> list[tuple[str, int]]:
        flat = await self._read_lines(keys=[_key(user_id)], args=[CART_TTL_SECONDS])
        parsed = []
        for product_id, value in zip(flat[::2], flat[1::2], strict=True):
            quantity, _, added = value.decode().partition(":")
            parsed.append((int(added or 0), product_id.decode(), int(quantity)))
        return [(product_id, quantity) for _, product_id, quantity in sorted(parsed)]

    async def change_line(
        self, user_id: str, product_id: str, quantity: int, *, add: bool, cap: int, max_lines: int
    ) -> LineChange:
        now_ms = int(utc_now().timestamp() * 1000)
        mode = "add" if add else "set"
        arguments: list[str | int] = [
            product_id,
            quantity,
            now_ms,
            cap,
            max_lines,
            CART_TTL_SECONDS,
            mode,
        ]
        before, after, refusal = await self._change_line(keys=[_key(user_id)], args=arguments)
        return LineChange(int(before), int(after), _REFUSALS[int(refusal)])

    async def change_checked(
        self,
        user_id: str,
        product_id: str,
        quantity: int,
        *,
        add: bool,
        max_quantity: int,
        max_lines: int,
        lookup: Lookup,
    ) -> CheckedChange:
        given: dict[str, CatalogProduct | None] = {}
        for _ in range(_CHECKED_ATTEMPTS):
            arguments = script_arguments(
                product_id,
                quantity,
                int(utc_now().timestamp() * 1000),
                add=add,
                max_quantity=max_quantity,
                max_lines=max_lines,
                ttl_seconds=CART_TTL_SECONDS,
                given=given,
            )
            reply = await self._change_checked(keys=[_key(user_id)], args=arguments)
            outcome = read_reply(reply, product_id)
            if isinstance(outcome, CheckedChange):
                return outcome
            # Not cached: from catalog, given to the next call (a line added meanwhile
            # by another request of this user may still be missing then).
            found = await lookup(outcome)
            given.update({missing: found.get(missing) for missing in outcome})
        raise RuntimeError(f"the cart of {user_id} kept naming products the cache lacks")

    async def clear(self, user_id: str) -> None:
        await self._redis.delete(_key(user_id))

    async def remove_bought(
        self, user_id: str, product_ids: Collection[str], placed_at: datetime
    ) -> None:
        if product_ids:
            placed_ms = int(placed_at.timestamp() * 1000)
            await self._remove_bought(keys=[_key(user_id)], args=[placed_ms, *product_ids])


def _key(user_id: str) -> str:
    return f"shopgraph:cart:{user_id}"


_CHECKED_ATTEMPTS = 3


class DatabaseCartStore:
    def __init__(self, database: Database) -> None:
        self._database = database

    async def close(self) -> None:
        """The database belongs to the subgraph, which closes it."""

    async def lines(self, user_id: str) -> list[tuple[str, int]]:
        now = utc_now()
        async with self._database.session() as session:
            await session.execute(
                delete(CartLineRow).where(
                    CartLineRow.user_id == user_id,
                    CartLineRow.touched_at < now - timedelta(seconds=CART_TTL_SECONDS),
                )
            )
            rows = (
                await session.execute(
                    select(CartLineRow.product_id, CartLineRow.quantity)
                    .where(CartLineRow.user_id == user_id)
                    .order_by(CartLineRow.added_at, CartLineRow.product_id)
                )
            ).all()
            if rows:
                # A statement, not ORM rows: a line the order just bought may be deleted
                # meanwhile (`remove_bought`), and that is no error for a reader.
                await session.execute(
                    update(CartLineRow).where(CartLineRow.user_id == user_id).values(touched_at=now)
                )
            return [(product_id, quantity) for product_id, quantity in rows]

    async def _one_writer(self, session: AsyncSession, user_id: str) -> None:
        """One writer per cart at a time (a line changed while its order removes it
        would match no row); SQLite's BEGIN IMMEDIATE already serialises all writers."""
        if not self._database.is_sqlite:
            await session.execute(
                text("SELECT pg_advisory_xact_lock(hashtext(:key))"),
                {"key": f"shopgraph.cart.{user_id}"},
            )

    async def change_line(
        self, user_id: str, product_id: str, quantity: int, *, add: bool, cap: int, max_lines: int
    ) -> LineChange:
        now = utc_now()
        async with self._database.session() as session:
            await self._one_writer(session, user_id)
            row = await session.get(CartLineRow, (user_id, product_id))
            before = row.quantity if row is not None else 0
            after = before + quantity if add else quantity
            if after > cap:
                return LineChange(before, before, "cap")
            if after == 0:
                if row is not None:
                    await session.delete(row)
                return LineChange(before, 0)
            if row is None:
                count = await session.scalar(
                    select(func.count()).where(CartLineRow.user_id == user_id)
                )
                if (count or 0) >= max_lines:
                    return LineChange(0, 0, "lines")
                session.add(
                    CartLineRow(
                        user_id=user_id,
                        product_id=product_id,
                        quantity=after,
                        added_at=now,
                        touched_at=now,
                    )
                )
            else:
                row.quantity = after
            # One idle clock per cart, as Redis has one expiry per hash.
            await session.execute(
                update(CartLineRow).where(CartLineRow.user_id == user_id).values(touched_at=now)
            )
            return LineChange(before, after)

    async def change_checked(
        self,
        user_id: str,
        product_id: str,
        quantity: int,
        *,
        add: bool,
        max_quantity: int,
        max_lines: int,
        lookup: Lookup,
    ) -> CheckedChange:
        stored = await self.lines(user_id)
        products = await lookup([product_id, *(pid for pid, _ in stored)])
        refused = refusal_of(product_id, stored, products)
        if refused is not None:
            before = dict(stored).get(product_id, 0)
            return CheckedChange(before, before, refused, stored, products)
        cap = min(max_quantity, max(products[product_id].stock, 0))
        change = await self.change_line(
            user_id, product_id, quantity, add=add, cap=cap, max_lines=max_lines
        )
        lines = stored if change.refused else lines_after(stored, product_id, change.after)
        return CheckedChange(change.before, change.after, change.refused, lines, products)

    async def clear(self, user_id: str) -> None:
        async with self._database.session() as session:
            await session.execute(delete(CartLineRow).where(CartLineRow.user_id == user_id))

    async def remove_bought(
        self, user_id: str, product_ids: Collection[str], placed_at: datetime
    ) -> None:
        if not product_ids:
            return
        async with self._database.session() as session:
            await self._one_writer(session, user_id)
            await session.execute(
                delete(CartLineRow).where(
                    CartLineRow.user_id == user_id,
                    CartLineRow.product_id.in_(list(product_ids)),
                    CartLineRow.added_at <= placed_at,
                )
            )
