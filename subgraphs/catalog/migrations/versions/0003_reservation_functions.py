"""reserve_stock() and settle_reservation(): each a round trip, each step on a fresh snapshot

The one-statement reservation (WITH locked ... taken ...) could claim its key yet
take no stock: all its parts share the statement's snapshot, so its UPDATE judged
`stock >= quantity` on the row as it was when the statement began. When a release
committed in between, the row lock of `locked` waited for it and saw the new stock,
while the UPDATE's search found the old row short and never made it a target; the
READ COMMITTED re-check only runs for rows a search found. In a VOLATILE PL/pgSQL
function every statement takes a new snapshot: the one that writes begins after
the one that locked and checked, so it sees exactly the rows that were checked.
settle_reservation() does what reservations._settle did in several statements and
a second transaction: it moves the key under its row lock, locks the products it
puts back in id order, and answers the reservation as it now stands.

Both take their locks in one order, the key's row first, then the products in id
order. A reservation that locked the products first and then waited for the key's
row deadlocked with a release of that key (which holds the key's row and wants the
products): racing checkouts of one idempotency key do exactly that.
PostgreSQL only (SQLite works under its database write lock).

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
  -- Claim the key first (a settlement of it holds its row before the products).
  INSERT INTO reservation_keys (order_id, status, created_at, updated_at)
  VALUES (p_order_id, 'RESERVED', p_now, p_now)
  ON CONFLICT (order_id) DO NOTHING;
  IF NOT FOUND THEN
    RETURN 'KNOWN';
  END IF;
  -- Lock the products in id order (two reservations never deadlock), then check
  -- every line against the rows as locked.
  SELECT count(*) INTO served
  FROM (SELECT id, stock, deleted_at FROM products
        WHERE id = ANY(p_product_ids) ORDER BY id FOR UPDATE) AS l
  JOIN unnest(p_product_ids, p_quantities) AS w(product_id, quantity)
    ON w.product_id = l.id
  WHERE l.deleted_at IS NULL AND l.stock >= w.quantity;
  IF served <> cardinality(p_product_ids) THEN
    -- Refused: the key goes too (never seen by anyone: this transaction did not commit).
    DELETE FROM reservation_keys WHERE order_id = p_order_id;
    RETURN 'REFUSED';
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

# Moves a RESERVED key to p_outcome (RELEASED or COMMITTED; an unknown key is written
# settled, so a reservation arriving later takes nothing). Answers the key's status
# and its lines, one row per line (a line of NULLs when it has none), and whether
# stock went back on the shelf (then stock.changed events wait in the outbox).
SETTLE_RESERVATION = """
CREATE FUNCTION settle_reservation(
  p_order_id text, p_outcome text, p_now timestamptz, p_event_type text
) RETURNS TABLE (status text, product_id text, quantity int, restocked boolean)
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  moved_ids text[];
  moved_quantities int[];
BEGIN
  -- Locks the key row whether or not it moves: one settlement of a key at a time.
  INSERT INTO reservation_keys AS k (order_id, status, created_at, updated_at)
  VALUES (p_order_id, p_outcome, p_now, p_now)
  ON CONFLICT (order_id) DO UPDATE SET status = EXCLUDED.status, updated_at = EXCLUDED.updated_at
  WHERE k.status = 'RESERVED';
  WITH moved AS (
    UPDATE reservations r SET status = p_outcome, updated_at = p_now
    WHERE r.order_id = p_order_id AND r.status = 'RESERVED'
    RETURNING r.product_id, r.quantity
  )
  SELECT array_agg(m.product_id ORDER BY m.product_id),
         array_agg(m.quantity ORDER BY m.product_id)
  INTO moved_ids, moved_quantities FROM moved m;
  IF p_outcome = 'RELEASED' AND moved_ids IS NOT NULL THEN
    -- In id order, as reserve_stock locks them: the two never deadlock.
    PERFORM FROM products p WHERE p.id = ANY(moved_ids) ORDER BY p.id FOR UPDATE;
    WITH restocked AS (
      UPDATE products p SET stock = p.stock + w.quantity, updated_at = p_now
      FROM unnest(moved_ids, moved_quantities) AS w(product_id, quantity)
      WHERE p.id = w.product_id
      RETURNING p.id, p.stock, w.quantity
    )
    INSERT INTO outbox (id, type, version, occurred_at, subject_id, payload, created_at, attempts)
    SELECT gen_random_uuid(), p_event_type, 1, p_now, t.id,
           json_build_object('stock', t.stock, 'delta', t.quantity, 'reason', 'released',
                             'orderId', p_order_id)::text,
           p_now + (row_number() OVER (ORDER BY t.id)) * interval '1 microsecond',
           0
    FROM restocked t;
  END IF;
  RETURN QUERY
    SELECT k.status::text, r.product_id::text, r.quantity,
           p_outcome = 'RELEASED' AND moved_ids IS NOT NULL
    FROM reservation_keys k LEFT JOIN reservations r ON r.order_id = k.order_id
    WHERE k.order_id = p_order_id
    ORDER BY r.product_id;
END
$$
"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(RESERVE_STOCK)
        op.execute(SETTLE_RESERVATION)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION settle_reservation(text, text, timestamptz, text)")
        op.execute("DROP FUNCTION reserve_stock(text, text[], int[], timestamptz, text)")
