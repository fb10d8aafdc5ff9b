-- The delivery queue, rebuilt around endpoints (docs/architecture.md, "The delivery queue").
--
-- endpoint_queue: one scheduler row per endpoint. next_seq is the last sequence number handed to one of its
--   deliveries (ingest takes the next ones under this row's lock, so sequence order is commit order); next_due_at is
--   when a worker should look at the endpoint (NULL: nothing to do); owner/owner_until say which worker sends to it.
-- endpoint_stream: the owner's side of the endpoint: the ownership epoch that fences a worker which lost the
--   endpoint, and acked_seq, the stream position up to which every fresh delivery has been dealt with.
-- delivery_jobs: retries and replays waiting for run_at; one index. Fresh deliveries never get a job row.
-- dead_letters: the dead-letter list, so no index on the delivery log has to cover the status column.
-- deliveries: gains seq (its place in the endpoint's stream) and retry_queued (its attempts now come from a job, so
--   the stream skips it); loses the lease columns and cycle_attempts (a job carries it), and the indexes on status.
-- attempts: keyed by (delivery_id, attempt); no foreign keys on the log tables, whose rows are deleted explicitly.
--
-- Existing data: every delivery gets its endpoint's sequence numbers in id order; pending deliveries never attempted
-- stay in the stream (acked_seq stops before the first of them); failed ones and replayed pending ones become jobs;
-- dead ones fill the dead-letter list.

CREATE TABLE attempts_v2 (
  id TEXT NOT NULL,
  delivery_id TEXT NOT NULL,
  attempt INTEGER NOT NULL,
  started_at INTEGER NOT NULL,
  duration_ms INTEGER NOT NULL,
  status_code INTEGER,
  response_body TEXT,
  error TEXT,
  error_class TEXT,
  outcome TEXT NOT NULL,
  timeout_ms INTEGER NOT NULL,
  request_url TEXT,
  request_headers TEXT,
  response_headers TEXT,
  PRIMARY KEY (delivery_id, attempt)
);
INSERT INTO attempts_v2 (id, delivery_id, attempt, started_at, duration_ms, status_code, response_body, error,
    error_class, outcome, timeout_ms, request_url, request_headers, response_headers)
  SELECT id, delivery_id, attempt, started_at, duration_ms, status_code, response_body, error, error_class, outcome,
    timeout_ms, request_url, request_headers, response_headers
  FROM attempts;
DROP TABLE attempts;
ALTER TABLE attempts_v2 RENAME TO attempts;
CREATE INDEX attempts_by_started_at ON attempts (started_at);

CREATE TABLE deliveries_v2 (
  id TEXT NOT NULL,
  tenant_id TEXT NOT NULL,
  event_id TEXT NOT NULL,
  event_type TEXT NOT NULL,
  endpoint_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  status TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER,
  last_status_code INTEGER,
  last_error TEXT,
  retry_queued INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, id)
);
INSERT INTO deliveries_v2 (id, tenant_id, event_id, event_type, endpoint_id, seq, status, attempts, next_attempt_at,
    last_status_code, last_error, retry_queued, created_at, updated_at)
  SELECT id, tenant_id, event_id, event_type, endpoint_id,
    row_number() OVER (PARTITION BY endpoint_id ORDER BY id),
    status, attempts,
    CASE WHEN status = 'failed' OR (status = 'pending' AND attempts > 0) THEN coalesce(next_attempt_at, updated_at)
      WHEN status = 'pending' THEN next_attempt_at END,
    last_status_code, last_error,
    CASE WHEN status = 'failed' OR (status = 'pending' AND attempts > 0) THEN 1 ELSE 0 END,
    created_at, updated_at
  FROM deliveries;

CREATE TABLE delivery_jobs (
  endpoint_id TEXT NOT NULL,
  run_at INTEGER NOT NULL,
  delivery_id TEXT NOT NULL,
  tenant_id TEXT NOT NULL,
  event_id TEXT NOT NULL,
  attempts INTEGER NOT NULL,
  cycle_attempts INTEGER NOT NULL
);
CREATE INDEX delivery_jobs_due ON delivery_jobs (endpoint_id, run_at);
INSERT INTO delivery_jobs (endpoint_id, run_at, delivery_id, tenant_id, event_id, attempts, cycle_attempts)
  SELECT endpoint_id, coalesce(next_attempt_at, updated_at), id, tenant_id, event_id, attempts, cycle_attempts
  FROM deliveries
  WHERE status = 'failed' OR (status = 'pending' AND attempts > 0);

CREATE TABLE dead_letters (
  tenant_id TEXT NOT NULL,
  delivery_id TEXT NOT NULL,
  endpoint_id TEXT NOT NULL,
  died_at INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, delivery_id)
);
CREATE INDEX dead_letters_by_endpoint ON dead_letters (endpoint_id, delivery_id);
INSERT INTO dead_letters (tenant_id, delivery_id, endpoint_id, died_at)
  SELECT tenant_id, id, endpoint_id, updated_at FROM deliveries WHERE status = 'dead';

DROP TABLE deliveries;
ALTER TABLE deliveries_v2 RENAME TO deliveries;
CREATE UNIQUE INDEX deliveries_by_endpoint_seq ON deliveries (endpoint_id, seq);
CREATE UNIQUE INDEX deliveries_by_event ON deliveries (tenant_id, event_id, endpoint_id);
CREATE INDEX deliveries_by_type ON deliveries (tenant_id, event_type, id);

CREATE TABLE endpoint_queue (
  endpoint_id TEXT PRIMARY KEY REFERENCES endpoints (id) ON DELETE CASCADE,
  tenant_id TEXT NOT NULL,
  next_seq INTEGER NOT NULL DEFAULT 0,
  next_due_at INTEGER,
  owner TEXT,
  owner_until INTEGER,
  disabled INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX endpoint_queue_due ON endpoint_queue (next_due_at) WHERE next_due_at IS NOT NULL;

CREATE TABLE endpoint_stream (
  endpoint_id TEXT PRIMARY KEY REFERENCES endpoints (id) ON DELETE CASCADE,
  epoch INTEGER NOT NULL DEFAULT 0,
  acked_seq INTEGER NOT NULL DEFAULT 0
);

INSERT INTO endpoint_stream (endpoint_id, epoch, acked_seq)
  SELECT ep.id, 0, coalesce(
    (SELECT min(d.seq) - 1 FROM deliveries d WHERE d.endpoint_id = ep.id AND d.status = 'pending' AND d.retry_queued = 0),
    (SELECT max(d.seq) FROM deliveries d WHERE d.endpoint_id = ep.id),
    0)
  FROM endpoints ep;

INSERT INTO endpoint_queue (endpoint_id, tenant_id, next_seq, next_due_at, owner, owner_until, disabled)
  SELECT ep.id, ep.tenant_id,
    coalesce((SELECT max(d.seq) FROM deliveries d WHERE d.endpoint_id = ep.id), 0),
    CASE WHEN ep.disabled = 1 THEN NULL ELSE coalesce(
      (SELECT min(d.created_at) FROM deliveries d WHERE d.endpoint_id = ep.id AND d.status = 'pending'
         AND d.retry_queued = 0),
      (SELECT min(j.run_at) FROM delivery_jobs j WHERE j.endpoint_id = ep.id)) END,
    NULL, NULL, ep.disabled
  FROM endpoints ep;

-- When the state was last reset (enable): an owner holding older state in memory starts over from the reset.
ALTER TABLE endpoint_state ADD COLUMN reset_at INTEGER NOT NULL DEFAULT 0;
