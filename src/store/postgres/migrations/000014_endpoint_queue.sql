-- The delivery queue, rebuilt around endpoints (docs/architecture.md, "The delivery queue").
--
-- endpoint_queue: one scheduler row per endpoint. next_seq is the last sequence number handed to one of its
--   deliveries (ingest takes the next ones under this row's lock, so sequence order is commit order); next_due_at is
--   when a worker should look at the endpoint (NULL: nothing to do, so the partial index holds only endpoints with
--   work); owner/owner_until say which worker sends to it. Written by ingest and by claims, so it is kept narrow,
--   with room on each page for its updates to stay HOT (fillfactor).
-- endpoint_stream: the owner's side of the endpoint, apart so that ingest and the owner never wait for each other's
--   row: the ownership epoch that fences a worker which lost the endpoint, and acked_seq, the stream position up to
--   which every fresh delivery has been dealt with.
-- delivery_jobs: retries and replays waiting for run_at; one index. Fresh deliveries never get a job row.
-- dead_letters: the dead-letter list, so that no index on the delivery log covers the status column.
-- deliveries: gains seq (its place in the endpoint's stream) and retry_queued (its attempts come from a job now, so
--   the stream skips it); loses the lease columns, cycle_attempts (a job carries it), every index on a column an
--   outcome changes (so the one update per outcome is HOT, with half of each page left for it), the created_at index
--   (delivery ids are ULIDs of their event's creation time: a created_at window is an id range) and its foreign keys
--   (a lookup and a row lock per inserted row; the log's rows are deleted explicitly with their endpoint or tenant).
-- attempts: keyed by (delivery_id, attempt), with a BRIN index on started_at for retention, and no foreign key.
--
-- Existing data: every delivery gets its endpoint's sequence numbers in id order; pending deliveries never attempted
-- stay in the stream (acked_seq stops before the first of them); failed ones and replayed pending ones become jobs;
-- dead ones fill the dead-letter list. On a large database this rewrites the deliveries table once.

ALTER TABLE attempts DROP CONSTRAINT attempts_delivery_id_fkey;
ALTER TABLE attempts DROP CONSTRAINT attempts_pkey;
ALTER TABLE attempts DROP CONSTRAINT attempts_delivery_id_attempt_key;
ALTER TABLE attempts ADD PRIMARY KEY (delivery_id, attempt);
DROP INDEX attempts_by_started_at;
CREATE INDEX attempts_by_started_at ON attempts USING brin (started_at);

ALTER TABLE deliveries DROP CONSTRAINT deliveries_endpoint_id_fkey;
ALTER TABLE deliveries DROP CONSTRAINT deliveries_tenant_id_event_id_fkey;
ALTER TABLE deliveries ADD COLUMN seq bigint;
ALTER TABLE deliveries ADD COLUMN retry_queued boolean NOT NULL DEFAULT false;
UPDATE deliveries d SET
  seq = s.rn,
  retry_queued = (d.status = 'failed' OR (d.status = 'pending' AND d.attempts > 0)),
  next_attempt_at = CASE
    WHEN d.status = 'failed' OR (d.status = 'pending' AND d.attempts > 0) THEN coalesce(d.next_attempt_at, d.updated_at)
    WHEN d.status = 'pending' THEN d.next_attempt_at END
FROM (SELECT id, row_number() OVER (PARTITION BY endpoint_id ORDER BY id) AS rn FROM deliveries) s
WHERE d.id = s.id;
ALTER TABLE deliveries ALTER COLUMN seq SET NOT NULL;

CREATE TABLE delivery_jobs (
  endpoint_id text NOT NULL,
  run_at bigint NOT NULL,
  delivery_id text NOT NULL,
  tenant_id text NOT NULL,
  event_id text NOT NULL,
  attempts integer NOT NULL,
  cycle_attempts integer NOT NULL
);
CREATE INDEX delivery_jobs_due ON delivery_jobs (endpoint_id, run_at);
INSERT INTO delivery_jobs (endpoint_id, run_at, delivery_id, tenant_id, event_id, attempts, cycle_attempts)
  SELECT endpoint_id, next_attempt_at, id, tenant_id, event_id, attempts, cycle_attempts
  FROM deliveries WHERE retry_queued;

CREATE TABLE dead_letters (
  tenant_id text NOT NULL,
  delivery_id text NOT NULL,
  endpoint_id text NOT NULL,
  died_at bigint NOT NULL,
  PRIMARY KEY (tenant_id, delivery_id)
);
CREATE INDEX dead_letters_by_endpoint ON dead_letters (endpoint_id, delivery_id);
INSERT INTO dead_letters (tenant_id, delivery_id, endpoint_id, died_at)
  SELECT tenant_id, id, endpoint_id, updated_at FROM deliveries WHERE status = 'dead';

DROP INDEX deliveries_by_status;
DROP INDEX deliveries_by_created;
DROP INDEX deliveries_recoverable;
DROP INDEX deliveries_dead;
DROP INDEX deliveries_due_by_endpoint;
DROP INDEX deliveries_leased;
DROP INDEX deliveries_by_endpoint;
ALTER TABLE deliveries DROP CONSTRAINT deliveries_pkey;
DROP INDEX deliveries_by_tenant;
ALTER TABLE deliveries ADD PRIMARY KEY (tenant_id, id);
CREATE UNIQUE INDEX deliveries_by_endpoint_seq ON deliveries (endpoint_id, seq);
ALTER TABLE deliveries DROP COLUMN lease_token, DROP COLUMN locked_until, DROP COLUMN cycle_attempts;
ALTER TABLE deliveries SET (fillfactor = 50);

CREATE TABLE endpoint_queue (
  endpoint_id text PRIMARY KEY REFERENCES endpoints (id) ON DELETE CASCADE,
  tenant_id text NOT NULL,
  next_seq bigint NOT NULL DEFAULT 0,
  next_due_at bigint,
  owner text,
  owner_until bigint,
  disabled boolean NOT NULL DEFAULT false
) WITH (fillfactor = 50);
CREATE INDEX endpoint_queue_due ON endpoint_queue (next_due_at) WHERE next_due_at IS NOT NULL;

CREATE TABLE endpoint_stream (
  endpoint_id text PRIMARY KEY REFERENCES endpoints (id) ON DELETE CASCADE,
  epoch bigint NOT NULL DEFAULT 0,
  acked_seq bigint NOT NULL DEFAULT 0
) WITH (fillfactor = 50);

INSERT INTO endpoint_stream (endpoint_id, epoch, acked_seq)
  SELECT ep.id, 0, coalesce(
    (SELECT min(d.seq) - 1 FROM deliveries d WHERE d.endpoint_id = ep.id AND d.status = 'pending' AND NOT d.retry_queued),
    (SELECT max(d.seq) FROM deliveries d WHERE d.endpoint_id = ep.id),
    0)
  FROM endpoints ep;

INSERT INTO endpoint_queue (endpoint_id, tenant_id, next_seq, next_due_at, owner, owner_until, disabled)
  SELECT ep.id, ep.tenant_id,
    coalesce((SELECT max(d.seq) FROM deliveries d WHERE d.endpoint_id = ep.id), 0),
    CASE WHEN ep.disabled THEN NULL ELSE coalesce(
      (SELECT min(d.created_at) FROM deliveries d WHERE d.endpoint_id = ep.id AND d.status = 'pending'
         AND NOT d.retry_queued),
      (SELECT min(j.run_at) FROM delivery_jobs j WHERE j.endpoint_id = ep.id)) END,
    NULL, NULL, ep.disabled
  FROM endpoints ep;

-- When the state was last reset (enable): an owner holding older state in memory starts over from the reset.
ALTER TABLE endpoint_state ADD COLUMN reset_at bigint NOT NULL DEFAULT 0;
ALTER TABLE endpoint_state SET (fillfactor = 70);
