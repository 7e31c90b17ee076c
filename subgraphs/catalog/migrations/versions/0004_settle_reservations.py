"""settle_reservations(): many keys committed or released in one round trip

Commerce settles a batch of payment outcomes at once (its orders worker takes
the outcomes that arrive together); one call per key cost a round trip, a
transaction and an HTTP request each. Each key moves as settle_reservation()
moves it: only from RESERVED, and an unknown key is written settled, so a
reservation arriving later takes nothing.

Locks are taken in the one order every reservation function uses: first every
key's row, in key order, then the products put back, in id order. A batch that
locked a key and its products and then the next key could deadlock with another
batch or with reserve_stock(). PostgreSQL only (SQLite works under its database
write lock).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07 04:30:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Returns whether stock went back on the shelf (then stock.changed events wait in the
# outbox). p_order_ids holds each key once; p_outcomes[i] (RELEASED or COMMITTED) is
# what p_order_ids[i] becomes.
SETTLE_RESERVATIONS = """
CREATE FUNCTION settle_reservations(
  p_order_ids text[], p_outcomes text[], p_now timestamptz, p_event_type text
) RETURNS boolean LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  released_orders text[];
  released_products text[];
  released_quantities int[];
  left_in_stock int;
BEGIN
  -- Every key's row, in key order, whether or not it moves.
  INSERT INTO reservation_keys AS k (order_id, status, created_at, updated_at)
  SELECT s.order_id, s.outcome, p_now, p_now
  FROM unnest(p_order_ids, p_outcomes) AS s(order_id, outcome)
  ORDER BY s.order_id
  ON CONFLICT (order_id) DO UPDATE SET status = EXCLUDED.status, updated_at = EXCLUDED.updated_at
  WHERE k.status = 'RESERVED';
  WITH moved AS (
    UPDATE reservations r SET status = s.outcome, updated_at = p_now
    FROM unnest(p_order_ids, p_outcomes) AS s(order_id, outcome)
    WHERE r.order_id = s.order_id AND r.status = 'RESERVED'
    RETURNING r.order_id, r.product_id, r.quantity, s.outcome
  )
  SELECT array_agg(m.order_id ORDER BY m.order_id, m.product_id),
         array_agg(m.product_id ORDER BY m.order_id, m.product_id),
         array_agg(m.quantity ORDER BY m.order_id, m.product_id)
  INTO released_orders, released_products, released_quantities
  FROM moved m WHERE m.outcome = 'RELEASED';
  IF released_orders IS NULL THEN
    RETURN false;
  END IF;
  -- In id order, as reserve_stock locks them, before any goes back: no deadlock.
  PERFORM FROM products p WHERE p.id = ANY(released_products) ORDER BY p.id FOR UPDATE;
  -- Line by line, so each event tells the stock right after its own change (two
  -- released orders may share a product). Releases are the rare outcome.
  FOR i IN 1 .. cardinality(released_orders) LOOP
    UPDATE products SET stock = stock + released_quantities[i], updated_at = p_now
    WHERE id = released_products[i]
    RETURNING stock INTO left_in_stock;
    INSERT INTO outbox (id, type, version, occurred_at, subject_id, payload, created_at, attempts)
    VALUES (gen_random_uuid(), p_event_type, 1, p_now, released_products[i],
            json_build_object('stock', left_in_stock, 'delta', released_quantities[i],
                              'reason', 'released', 'orderId', released_orders[i])::text,
            p_now + i * interval '1 microsecond', 0);
  END LOOP;
  RETURN true;
END
$$
"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(SETTLE_RESERVATIONS)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION settle_reservations(text[], text[], timestamptz, text)")
