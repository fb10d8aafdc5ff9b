-- Tenant isolation. Per-endpoint limits (max_in_flight, rate_limit_per_s); endpoint_state holds what every worker
-- must agree on for an endpoint (breaker, 429 pause, rate tokens, recent latencies) as one JSON document. Claims lock
-- an endpoint's row (FOR UPDATE SKIP LOCKED) while they count its leased deliveries and take its work, so workers in
-- different processes never exceed its limit together. The claim finds due work per endpoint
-- (deliveries_due_by_endpoint, which replaces the global deliveries_due) and counts leased deliveries per endpoint
-- (deliveries_leased, small: only rows in flight).

ALTER TABLE endpoints ADD COLUMN max_in_flight integer NOT NULL DEFAULT 16;
ALTER TABLE endpoints ADD COLUMN rate_limit_per_s double precision;

CREATE TABLE endpoint_state (
  endpoint_id text PRIMARY KEY REFERENCES endpoints (id) ON DELETE CASCADE,
  data text NOT NULL,
  updated_at bigint NOT NULL
);
INSERT INTO endpoint_state (endpoint_id, data, updated_at) SELECT id, '{}', updated_at FROM endpoints;

CREATE INDEX deliveries_due_by_endpoint ON deliveries (endpoint_id, status, next_attempt_at)
  WHERE status IN ('pending', 'failed');
CREATE INDEX deliveries_leased ON deliveries (endpoint_id, locked_until) WHERE lease_token IS NOT NULL;
DROP INDEX deliveries_due;
