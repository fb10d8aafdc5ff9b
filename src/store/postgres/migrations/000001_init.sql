-- hookd schema for PostgreSQL. Times are epoch milliseconds (bigint) so both stores share one time model; event data
-- is text, not jsonb, because the signed body must be byte-for-byte what the producer sent.

CREATE TABLE tenants (
  id text PRIMARY KEY,
  name text NOT NULL,
  metadata jsonb NOT NULL,
  created_at bigint NOT NULL,
  updated_at bigint NOT NULL
);

CREATE TABLE api_keys (
  id text PRIMARY KEY,
  tenant_id text REFERENCES tenants (id) ON DELETE CASCADE,
  hash text NOT NULL UNIQUE,
  created_at bigint NOT NULL
);

CREATE TABLE endpoints (
  id text PRIMARY KEY,
  tenant_id text NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  url text NOT NULL,
  description text NOT NULL,
  event_types jsonb NOT NULL,
  secret text NOT NULL,
  headers jsonb NOT NULL,
  timeout_ms integer NOT NULL,
  retry_schedule_s jsonb,
  disabled boolean NOT NULL,
  disabled_reason text,
  metadata jsonb NOT NULL,
  created_at bigint NOT NULL,
  updated_at bigint NOT NULL
);
CREATE INDEX endpoints_by_tenant ON endpoints (tenant_id, id);

CREATE TABLE events (
  tenant_id text NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  id text NOT NULL,
  type text NOT NULL,
  data text NOT NULL,
  created_at bigint NOT NULL,
  PRIMARY KEY (tenant_id, id)
);

-- One row per (event, endpoint). next_attempt_at doubles as the lease: claiming moves it to the lease's end, so the
-- due index alone finds both new work and work whose worker died.
CREATE TABLE deliveries (
  id text PRIMARY KEY,
  tenant_id text NOT NULL,
  event_id text NOT NULL,
  endpoint_id text NOT NULL REFERENCES endpoints (id) ON DELETE CASCADE,
  status text NOT NULL,
  attempts integer NOT NULL DEFAULT 0,
  cycle_attempts integer NOT NULL DEFAULT 0,
  next_attempt_at bigint,
  lease_token text,
  locked_until bigint,
  last_status_code integer,
  last_error text,
  created_at bigint NOT NULL,
  updated_at bigint NOT NULL,
  FOREIGN KEY (tenant_id, event_id) REFERENCES events (tenant_id, id) ON DELETE CASCADE,
  UNIQUE (tenant_id, event_id, endpoint_id)
);
CREATE INDEX deliveries_due ON deliveries (next_attempt_at) WHERE status IN ('pending', 'failed');
CREATE INDEX deliveries_by_tenant ON deliveries (tenant_id, id);
CREATE INDEX deliveries_by_endpoint ON deliveries (endpoint_id, id);

CREATE TABLE attempts (
  id text PRIMARY KEY,
  delivery_id text NOT NULL REFERENCES deliveries (id) ON DELETE CASCADE,
  attempt integer NOT NULL,
  started_at bigint NOT NULL,
  duration_ms integer NOT NULL,
  status_code integer,
  response_body text,
  error text,
  error_class text,
  outcome text NOT NULL,
  timeout_ms integer NOT NULL,
  UNIQUE (delivery_id, attempt)
);

CREATE TABLE idempotency_keys (
  tenant_id text NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  key text NOT NULL,
  request_hash text NOT NULL,
  response text,
  created_at bigint NOT NULL,
  PRIMARY KEY (tenant_id, key)
);
