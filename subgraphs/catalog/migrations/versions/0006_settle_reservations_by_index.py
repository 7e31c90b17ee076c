"""settle_reservations() reads a batch's lines by the primary key and plans once per session

0004 matched the reservation lines to the batch's keys by a join on unnest().
Until ANALYZE has run on `reservations` (autovacuum off, as on our test and
bench servers, or a young table), the planner guesses that a key has many lines
and that reading the whole table beats an index probe per key: every
settlement read every line ever reserved, in time growing with the table (2.7
ms for 6 keys over 27,000 lines; about 0.1 ms through the index). And as PL/pgSQL
judged its generic plan dearer than the custom ones, it planned that statement
again on every call (0.13 ms each). Every statement here touches rows by their
key, so a sequential scan is never the right plan: the function now runs with
`enable_seqscan = off` and `plan_cache_mode = force_generic_plan`, one plan per
session that uses the indexes, statistics or not. PostgreSQL per settled key
in a 3,000-line table: 115-148 us before, 75-102 us after; over 27,000 lines,
365-408 us before, 79-123 us after (catalog's callers unchanged). The body and
the answer are 0004's. PostgreSQL only (SQLite works under its database write
lock).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07 11:00:00.000000
"""

import importlib
from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# 0004's function with the two SET clauses: returns whether stock went back on the shelf;
# p_order_ids holds each key once and p_outcomes[i] (RELEASED or COMMITTED) is what
# p_order_ids[i] becomes. Locks are taken as 0004 explains: every key's row in key
# order, then the products in id order.
SETTLE_RESERVATIONS = """
CREATE OR REPLACE FUNCTION settle_reservations(
  p_order_ids text[], p_outcomes text[], p_now timestamptz, p_event_type text
) RETURNS boolean LANGUAGE plpgsql VOLATILE
SET enable_seqscan = off SET plan_cache_mode = force_generic_plan AS $$
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
        earlier = importlib.import_module(
            "subgraphs.catalog.migrations.versions.0004_settle_reservations"
        )
        # Replacing the function drops the settings this revision gave it.
        op.execute(
            earlier.SETTLE_RESERVATIONS.replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION", 1)
        )
