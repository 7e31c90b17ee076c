"""A cart line changed only if the product may go in the cart: one Redis call for addToCart.

Adding to a cart reads the cart (other lines' currencies, the line's quantity),
reads the products as the product cache has them (is it sold, its currency,
its stock as the line's cap) and changes the line. With Redis the script here
does all three in one call, atomically: a cart used to cost three round trips
per add. Products the cache lacks come back as `missing`; the caller fetches
them from catalog (which fills the cache) and calls again with them given, so
a second call never depends on the cache still holding them.

`refusal_of` is the rule both stores follow before the cap; the script
repeats it in Lua, and the cart tests run it against both stores.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

from subgraphs.commerce.catalog_client import CatalogProduct
from subgraphs.commerce.product_cache import PRODUCT_KEY_PREFIX

Refusal = Literal["cap", "lines", "not_found", "currency"]
Lookup = Callable[[Sequence[str]], Awaitable[dict[str, CatalogProduct]]]


@dataclass(frozen=True, slots=True)
class CheckedChange:
    """The line's quantity before and after (equal when refused), the cart's lines after
    the change (oldest first) and the products they name that catalog knows."""

    before: int
    after: int
    refused: Refusal | None
    lines: list[tuple[str, int]]
    products: dict[str, CatalogProduct] = field(default_factory=dict)


def refusal_of(
    product_id: str, stored: Sequence[tuple[str, int]], products: Mapping[str, CatalogProduct]
) -> Literal["not_found", "currency"] | None:
    """A product that is not sold, or whose currency differs from the cart's other lines
    (those catalog still knows, deleted or not), does not go in."""
    product = products.get(product_id)
    if product is None or product.deleted:
        return "not_found"
    others = {products[pid].currency for pid, _ in stored if pid in products and pid != product_id}
    if others and others != {product.currency}:
        return "currency"
    return None


def lines_after(
    stored: Sequence[tuple[str, int]], product_id: str, after: int
) -> list[tuple[str, int]]:
    lines = dict(stored)
    lines[product_id] = after
    return [(pid, quantity) for pid, quantity in lines.items() if quantity > 0]


# KEYS[1] the cart. ARGV: product, quantity, now in ms, largest line, max lines, ttl,
# "add" or "set", the product cache's key prefix; then 6 values per product given
# by the caller: id, name, price, currency, stock, state ("0" sold, "1" deleted,
# "x" unknown to catalog). Returns {"missing", ids} or {"done", before, after,
# refusal (0 none, 1 cap, 2 lines, 3 not found, 4 currency), cart, products}:
# the cart as HGETALL had it before the change, the products as 6 values each.
# The cache's fields (product_cache.FIELDS) are read by name, in that order.
CHANGE_CHECKED = """
local given = {}
for i = 9, #ARGV, 6 do
  given[ARGV[i]] = {ARGV[i + 1], ARGV[i + 2], ARGV[i + 3], ARGV[i + 4], ARGV[i + 5]}
end
local cart = redis.call('HGETALL', KEYS[1])
local ids = {ARGV[1]}
for i = 1, #cart, 2 do
  if cart[i] ~= ARGV[1] then table.insert(ids, cart[i]) end
end
local products, missing = {}, {}
for _, id in ipairs(ids) do
  local p = given[id]
  if not p then
    p = redis.call('HMGET', ARGV[8] .. id, 'name', 'price', 'currency', 'stock', 'deleted')
    if not (p[1] and p[2] and p[3] and p[4] and p[5]) then
      table.insert(missing, id)
    end
  end
  products[id] = p
end
if #missing > 0 then return {'missing', missing} end
local flat = {}
for _, id in ipairs(ids) do
  local p = products[id]
  table.insert(flat, id)
  for k = 1, 5 do table.insert(flat, p[k]) end
end
local current = redis.call('HGET', KEYS[1], ARGV[1])
local before = 0
local added = ARGV[3]
if current then
  before = tonumber(string.match(current, '^(%d+)'))
  added = string.match(current, ':(%d+)$')
end
local product = products[ARGV[1]]
if product[5] ~= '0' then return {'done', before, before, 3, cart, flat} end
for i = 2, #ids do
  local other = products[ids[i]]
  if other[5] ~= 'x' and other[3] ~= product[3] then
    return {'done', before, before, 4, cart, flat}
  end
end
local after = tonumber(ARGV[2])
if ARGV[7] == 'add' then after = before + after end
local cap = math.min(tonumber(ARGV[4]), math.max(tonumber(product[4]), 0))
if after > cap then return {'done', before, before, 1, cart, flat} end
if not current and redis.call('HLEN', KEYS[1]) >= tonumber(ARGV[5]) then
  return {'done', before, before, 2, cart, flat}
end
redis.call('HSET', KEYS[1], ARGV[1], after .. ':' .. added)
redis.call('EXPIRE', KEYS[1], ARGV[6])
return {'done', before, after, 0, cart, flat}
"""
REFUSALS: dict[int, Refusal | None] = {0: None, 1: "cap", 2: "lines", 3: "not_found", 4: "currency"}


def script_arguments(
    product_id: str,
    quantity: int,
    now_ms: int,
    *,
    add: bool,
    max_quantity: int,
    max_lines: int,
    ttl_seconds: int,
    given: Mapping[str, CatalogProduct | None],
) -> list[str | int]:
    arguments: list[str | int] = [
        product_id,
        quantity,
        now_ms,
        max_quantity,
        max_lines,
        ttl_seconds,
        "add" if add else "set",
        PRODUCT_KEY_PREFIX,
    ]
    for given_id, product in given.items():
        if product is None:
            arguments += [given_id, "", "0", "", "0", "x"]
        else:
            state = "1" if product.deleted else "0"
            arguments += [given_id, product.name, str(product.price), product.currency]
            arguments += [str(product.stock), state]
    return arguments


def read_reply(reply: list[object], product_id: str) -> CheckedChange | list[str]:
    """The script's answer: the change, or the ids of the products it lacks."""
    if _text(reply[0]) == "missing":
        return [_text(value) for value in _list(reply[1])]
    before, after, refusal = (int(str(value)) for value in reply[1:4])
    cart = [_text(value) for value in _list(reply[4])]
    parsed = []
    for index in range(0, len(cart), 2):
        quantity, _, added = cart[index + 1].partition(":")
        parsed.append((int(added or 0), cart[index], int(quantity)))
    stored = [(pid, quantity) for _, pid, quantity in sorted(parsed)]
    flat = [_text(value) for value in _list(reply[5])]
    products = {}
    for index in range(0, len(flat), 6):
        pid, name, price, currency, stock, state = flat[index : index + 6]
        if state != "x":
            products[pid] = CatalogProduct(
                pid, name, Decimal(price), currency, int(stock), state == "1"
            )
    refused = REFUSALS[refusal]
    lines = stored if refused else lines_after(stored, product_id, after)
    return CheckedChange(before, after, refused, lines, products)


def _text(value: object) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _list(value: object) -> list[object]:
    return list(value) if isinstance(value, list) else []
