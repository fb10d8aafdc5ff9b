/**
 * The producer-side outbox table (docs/delivery.md#the-producer-outbox): the DDL a producer's PostgreSQL database
 * needs, applied by `hookd outbox install --database-url ...` or copied into the producer's own migrations (the
 * docs show the same text; a test keeps them equal). Idempotent, so running it again changes nothing.
 *
 * - `seq` orders the rows: the relay publishes them in seq order.
 * - `id` becomes the event's id in hookd, so publishing a row twice (a relay that crashed between hookd's commit
 *   and deleting the row) finds the event already there and creates nothing: exactly once into hookd, forever, not
 *   only within an idempotency window. The helper sets it to a hookd-style `evt_` ULID; a raw INSERT gets a random one.
 * - `data` is `json`, not `jsonb`, so the event reaches receivers with the producer's key order.
 * - The trigger notifies `hookd_outbox` once per inserting statement; PostgreSQL delivers it at COMMIT and never
 *   for a transaction that rolls back, so the relay wakes exactly when rows become visible.
 * - `failed_at` and `error` mark a row hookd refused for good (an unknown tenant, a bad type, data over the limit);
 *   the relay skips it, so one bad row does not stop the rest. Clear `failed_at` to have it tried again.
 */

export const OUTBOX_TABLE = "hookd_outbox";
export const OUTBOX_CHANNEL = "hookd_outbox";

export const OUTBOX_DDL = `CREATE TABLE IF NOT EXISTS hookd_outbox (
  seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  id text NOT NULL UNIQUE DEFAULT ('evt_' || replace(gen_random_uuid()::text, '-', '')),
  tenant_id text NOT NULL,
  type text NOT NULL,
  data json NOT NULL CHECK (json_typeof(data) = 'object'),
  idempotency_key text,
  created_at timestamptz NOT NULL DEFAULT now(),
  failed_at timestamptz,
  error text
);
CREATE INDEX IF NOT EXISTS hookd_outbox_pending ON hookd_outbox (seq) WHERE failed_at IS NULL;

CREATE OR REPLACE FUNCTION hookd_outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('hookd_outbox', '');
  RETURN NULL;
END
$$;
DROP TRIGGER IF EXISTS hookd_outbox_notify ON hookd_outbox;
CREATE TRIGGER hookd_outbox_notify AFTER INSERT ON hookd_outbox
  FOR EACH STATEMENT EXECUTE FUNCTION hookd_outbox_notify();
`;
