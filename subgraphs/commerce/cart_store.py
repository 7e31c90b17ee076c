"""Where carts are kept: one Redis hash per user in production, a table in dev.

A cart is product id -> quantity, in the order products were first added.
Every read or write pushes the expiry back, so a cart lives until it has been
left alone for `CART_TTL_SECONDS` (Redis expires it; the table store drops idle
carts when read).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Protocol

import redis.asyncio as redis
from sqlalchemy import delete, func, select, update

from subgraphs.commerce.models import CartLineRow
from subgraphs.platform.columns import utc_now
from subgraphs.platform.database import Database

CART_TTL_SECONDS = 30 * 24 * 3600


class CartStore(Protocol):
    async def lines(self, user_id: str) -> list[tuple[str, int]]:
        """(product id, quantity) pairs, oldest first; an idle-expired cart is empty."""
        ...

    async def set_quantity(
        self, user_id: str, product_id: str, quantity: int, max_lines: int
    ) -> bool:
        """Sets one line (0 removes it). False, changing nothing, when the line is new
        and the cart already has `max_lines` lines."""
        ...

    async def clear(self, user_id: str) -> None: ...


# Atomic so two requests of one user cannot together push a cart past its limit.
_SET_LINE = """
local current = redis.call('HGET', KEYS[1], ARGV[1])
if ARGV[2] == '0' then
  redis.call('HDEL', KEYS[1], ARGV[1])
else
  if not current and redis.call('HLEN', KEYS[1]) >= tonumber(ARGV[4]) then
    return 0
  end
  local added = ARGV[3]
  if current then added = string.match(current, ':(%d+)$') end
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[2] .. ':' .. added)
end
redis.call('EXPIRE', KEYS[1], ARGV[5])
return 1
"""


class RedisCartStore:
    """Field = product id, value = "quantity:first-added-in-ms" (to keep line order)."""

    def __init__(self, url: str) -> None:
        self._redis = redis.from_url(url)
        self._set_line = self._redis.register_script(_SET_LINE)

    async def close(self) -> None:
        await self._redis.aclose()

    async def lines(self, user_id: str) -> list[tuple[str, int]]:
        key = _key(user_id)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hgetall(key)
            pipe.expire(key, CART_TTL_SECONDS)
            fields, _ = await pipe.execute()
        parsed = []
        for product_id, value in fields.items():
            quantity, _, added = value.decode().partition(":")
            parsed.append((int(added or 0), product_id.decode(), int(quantity)))
        return [(product_id, quantity) for _, product_id, quantity in sorted(parsed)]

    async def set_quantity(
        self, user_id: str, product_id: str, quantity: int, max_lines: int
    ) -> bool:
        now_ms = int(utc_now().timestamp() * 1000)
        arguments: list[str | int] = [product_id, quantity, now_ms, max_lines, CART_TTL_SECONDS]
        return bool(await self._set_line(keys=[_key(user_id)], args=arguments))

    async def clear(self, user_id: str) -> None:
        await self._redis.delete(_key(user_id))


def _key(user_id: str) -> str:
    return f"shopgraph:cart:{user_id}"


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
                await session.scalars(
                    select(CartLineRow)
                    .where(CartLineRow.user_id == user_id)
                    .order_by(CartLineRow.added_at, CartLineRow.product_id)
                )
            ).all()
            for row in rows:
                row.touched_at = now
            return [(row.product_id, row.quantity) for row in rows]

    async def set_quantity(
        self, user_id: str, product_id: str, quantity: int, max_lines: int
    ) -> bool:
        now = utc_now()
        async with self._database.session() as session:
            row = await session.get(CartLineRow, (user_id, product_id))
            if quantity == 0:
                if row is not None:
                    await session.delete(row)
                return True
            if row is None:
                count = await session.scalar(
                    select(func.count()).where(CartLineRow.user_id == user_id)
                )
                if (count or 0) >= max_lines:
                    return False
                session.add(
                    CartLineRow(
                        user_id=user_id,
                        product_id=product_id,
                        quantity=quantity,
                        added_at=now,
                        touched_at=now,
                    )
                )
            else:
                row.quantity = quantity
            # One idle clock per cart, as Redis has one expiry per hash.
            await session.execute(
                update(CartLineRow).where(CartLineRow.user_id == user_id).values(touched_at=now)
            )
            return True

    async def clear(self, user_id: str) -> None:
        async with self._database.session() as session:
            await session.execute(delete(CartLineRow).where(CartLineRow.user_id == user_id))
