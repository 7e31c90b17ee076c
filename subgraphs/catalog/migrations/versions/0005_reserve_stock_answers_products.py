"""reserve_stock() answers the products it reserved: a reservation is one round trip

Checkout needs each reserved product's name, price and currency for its order
lines, and a reservation must refuse products that are deleted or priced in more
than one currency. Catalog read the products in a statement of its own, then
called reserve_stock(): two round trips per checkout. Now the function checks the
currencies under the row locks it takes anyway and answers one row per product
asked for (NULLs for one that does not exist), with the outcome on every row. The
locks are taken in the order 0003 explains: the key's row, then the products in
id order. PostgreSQL only (SQLite works under its database write lock).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07 08:00:00.000000
"""

import importlib
from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SIGNATURE = "reserve_stock(text, text[], int[], timestamptz, text)"

# outcome is RESERVED (this call took the stock), KNOWN (the key was reserved or
# settled before: that stands, nothing changed) or REFUSED (a line cannot be served:
# a product missing, deleted or short, or the products' currencies differ; nothing
# changed). The products are read under the locks when the call got them, without
# a lock when the key was known.
RESERVE_STOCK = """
CREATE FUNCTION reserve_stock(
  p_order_id text, p_product_ids text[], p_quantities int[], p_now timestamptz,
  p_event_type text
) RETURNS TABLE (
  outcome text, product_id text, name text, price_amount numeric, currency text,
  deleted boolean
) LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  served int;
  currencies int;
  answer text := 'RESERVED';
BEGIN
  -- Claim the key first (a settlement of it holds its row before the products).
  INSERT INTO reservation_keys (order_id, status, created_at, updated_at)
  VALUES (p_order_id, 'RESERVED', p_now, p_now)
  ON CONFLICT (order_id) DO NOTHING;
  IF NOT FOUND THEN
    answer := 'KNOWN';
  ELSE
    -- Lock the products in id order (two reservations never deadlock), then check
    -- every line and the currencies against the rows as locked.
    SELECT count(*) FILTER (WHERE l.deleted_at IS NULL AND l.stock >= w.quantity),
           count(DISTINCT l.currency)
    INTO served, currencies
    FROM (SELECT p.id, p.stock, p.deleted_at, p.currency FROM products p
          WHERE p.id = ANY(p_product_ids) ORDER BY p.id FOR UPDATE) AS l
    JOIN unnest(p_product_ids, p_quantities) AS w(product_id, quantity)
      ON w.product_id = l.id;
    IF served <> cardinality(p_product_ids) OR currencies > 1 THEN
      -- Refused: the key goes too (never seen by anyone: this transaction did not commit).
      DELETE FROM reservation_keys WHERE order_id = p_order_id;
      answer := 'REFUSED';
    ELSE
      -- A new snapshot, taken while this transaction holds every row lock: each row
      -- is seen as it was checked above, so every line is taken.
      WITH taken AS (
        UPDATE products p SET stock = p.stock - w.quantity, updated_at = p_now
        FROM unnest(p_product_ids, p_quantities) AS w(product_id, quantity)
        WHERE p.id = w.product_id
        RETURNING p.id, p.stock, w.quantity
      )
      INSERT INTO outbox (id, type, version, occurred_at, subject_id, payload, created_at,
                          attempts)
      SELECT gen_random_uuid(), p_event_type, 1, p_now, t.id,
             json_build_object('stock', t.stock, 'delta', -t.quantity, 'reason', 'reserved',
                               'orderId', p_order_id)::text,
             p_now + (row_number() OVER (ORDER BY t.id)) * interval '1 microsecond',
             0
      FROM taken t;
      GET DIAGNOSTICS served = ROW_COUNT;
      IF served <> cardinality(p_product_ids) THEN
        -- Cannot happen while the rows are locked; if it ever does, nothing commits.
        RAISE EXCEPTION 'reservation % took % of % lines',
          p_order_id, served, cardinality(p_product_ids);
      END IF;
      INSERT INTO reservations (order_id, product_id, quantity, status, created_at, updated_at)
      SELECT p_order_id, w.product_id, w.quantity, 'RESERVED', p_now, p_now
      FROM unnest(p_product_ids, p_quantities) AS w(product_id, quantity);
    END IF;
  END IF;
  RETURN QUERY
    SELECT answer, w.id::text, p.name::text, p.price_amount::numeric, p.currency::text,
           p.deleted_at IS NOT NULL
    FROM unnest(p_product_ids) AS w(id) LEFT JOIN products p ON p.id = w.id
    ORDER BY w.id;
END
$$
"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        # Its answer changes type: CREATE OR REPLACE cannot do that.
        op.execute(f"DROP FUNCTION {SIGNATURE}")
        op.execute(RESERVE_STOCK)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP FUNCTION {SIGNATURE}")
        earlier = importlib.import_module(
            "subgraphs.catalog.migrations.versions.0003_reservation_functions"
        )
        op.execute(earlier.RESERVE_STOCK)
