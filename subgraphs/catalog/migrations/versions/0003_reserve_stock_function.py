"""reserve_stock(): a reservation in one round trip, each of its steps on a fresh snapshot

The one-statement reservation (WITH locked ... taken ...) could claim its key yet
take no stock: all its parts share the statement's snapshot, so its UPDATE judged
`stock >= quantity` on the row as it was when the statement began. When a release
committed in between, the row lock of `locked` waited for it and saw the new stock,
while the UPDATE's search found the old row short and never made it a target; the
READ COMMITTED re-check only runs for rows a search found. In a VOLATILE PL/pgSQL
function every statement takes a new snapshot: the one that writes begins after
the one that locked and checked, so it sees exactly the rows that were checked.
PostgreSQL only (SQLite reserves under its database write lock).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-07 01:30:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Returns RESERVED (this call took the stock), KNOWN (the key was reserved or settled
# before: that stands) or REFUSED (a line cannot be served: nothing changed).
RESERVE_STOCK = """
CREATE FUNCTION reserve_stock(
  p_order_id text, p_product_ids text[], p_quantities int[], p_now timestamptz,
  p_event_type text
) RETURNS text LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  served int;
BEGIN
  -- Lock the products in id order (two reservations never deadlock), then check
  -- every line against the rows as locked.
  SELECT count(*) INTO served
  FROM (SELECT id, stock, deleted_at FROM products
        WHERE id = ANY(p_product_ids) ORDER BY id FOR UPDATE) AS l
  JOIN unnest(p_product_ids, p_quantities) AS w(product_id, quantity)
    ON w.product_id = l.id
  WHERE l.deleted_at IS NULL AND l.stock >= w.quantity;
  IF served <> cardinality(p_product_ids) THEN
    IF EXISTS (SELECT FROM reservation_keys WHERE order_id = p_order_id) THEN
      RETURN 'KNOWN';
    END IF;
    RETURN 'REFUSED';
  END IF;
  INSERT INTO reservation_keys (order_id, status, created_at, updated_at)
  VALUES (p_order_id, 'RESERVED', p_now, p_now)
  ON CONFLICT (order_id) DO NOTHING;
  IF NOT FOUND THEN
    RETURN 'KNOWN';
  END IF;
  -- A new snapshot, taken while this transaction holds every row lock: each row is
  -- seen as it was checked above, so every line is taken.
  WITH taken AS (
    UPDATE products p SET stock = p.stock - w.quantity, updated_at = p_now
    FROM unnest(p_product_ids, p_quantities) AS w(product_id, quantity)
    WHERE p.id = w.product_id
    RETURNING p.id, p.stock, w.quantity
  )
  INSERT INTO outbox (id, type, version, occurred_at, subject_id, payload, created_at, attempts)
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
  RETURN 'RESERVED';
END
$$
"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(RESERVE_STOCK)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION reserve_stock(text, text[], int[], timestamptz, text)")
