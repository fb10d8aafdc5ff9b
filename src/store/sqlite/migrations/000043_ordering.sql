-- Ordering (docs/delivery.md, "Ordering").
--
-- Endpoints choose their ordering: 'none' (deliveries go in parallel up to max_in_flight) or 'fifo' (deliveries with
-- the same event ordering key go one after another, in ingest order), and in FIFO mode what a dead letter does to
-- its key's line: 'continue' with the next event or 'halt' the key until the tenant releases it.
ALTER TABLE endpoints ADD COLUMN ordering TEXT NOT NULL DEFAULT 'none' CHECK (ordering IN ('none', 'fifo'));
ALTER TABLE endpoints ADD COLUMN fifo_on_dead TEXT NOT NULL DEFAULT 'continue' CHECK (fifo_on_dead IN ('continue', 'halt'));

-- An event may carry an ordering key (for example an order id); FIFO endpoints deliver one key's events in order.
ALTER TABLE events ADD COLUMN ordering_key TEXT;

-- Jobs of FIFO endpoints carry their delivery's key and stream number: a retry blocks its key, and deliveries that
-- arrive behind a blocked key wait as parked jobs (run_at = 8640000000000000, never due) until the key's job before
-- them has succeeded or died; then the cycle that records it makes the lowest parked one due. Jobs of other
-- endpoints leave both NULL, and the partial index holds none of them.
ALTER TABLE delivery_jobs ADD COLUMN ordering_key TEXT;
ALTER TABLE delivery_jobs ADD COLUMN seq INTEGER;
CREATE INDEX delivery_jobs_by_key ON delivery_jobs (endpoint_id, ordering_key, seq) WHERE ordering_key IS NOT NULL;

-- Keys of FIFO endpoints with fifo_on_dead = 'halt' whose delivery died: nothing more goes for the key until the
-- tenant releases it (skip the dead one, or replay it first).
CREATE TABLE ordering_halts (
  endpoint_id TEXT NOT NULL REFERENCES endpoints (id) ON DELETE CASCADE,
  ordering_key TEXT NOT NULL,
  tenant_id TEXT NOT NULL,
  delivery_id TEXT NOT NULL,
  halted_at INTEGER NOT NULL,
  PRIMARY KEY (endpoint_id, ordering_key)
);
