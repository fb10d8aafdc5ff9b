-- Background tasks (endpoint recover): durable, leased by one runner at a time, resumable from cursor_id.
-- params is the task's input as JSON text; cursor_id is the last delivery id done and bound_id the last one the task
-- will do (both set by the runner in the transaction that does the work). lease_expires_at lets another process take
-- a task over when its runner died.

CREATE TABLE tasks (
  id text PRIMARY KEY,
  tenant_id text NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  kind text NOT NULL,
  status text NOT NULL,
  endpoint_id text NOT NULL,
  params text NOT NULL,
  cursor_id text,
  bound_id text,
  done integer NOT NULL DEFAULT 0,
  total integer,
  requeued integer NOT NULL DEFAULT 0,
  skipped integer NOT NULL DEFAULT 0,
  lease_token text,
  lease_expires_at bigint,
  error text,
  created_at bigint NOT NULL,
  updated_at bigint NOT NULL,
  finished_at bigint
);
CREATE INDEX tasks_by_tenant ON tasks (tenant_id, id);
-- Small: only tasks not finished yet, which is what a runner looks for.
CREATE INDEX tasks_unfinished ON tasks (id) WHERE status IN ('queued', 'running');

-- Recover walks one endpoint's failed and dead deliveries in id order. Partial, so the happy path (pending ->
-- succeeded) never writes an entry; only deliveries that fail do.
CREATE INDEX deliveries_recoverable ON deliveries (endpoint_id, id) WHERE status IN ('failed', 'dead');
