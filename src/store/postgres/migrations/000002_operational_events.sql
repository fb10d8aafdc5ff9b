-- Operational events (endpoint disabled or enabled, delivery dead or recovered), written in the transaction that
-- changed the state they describe. No foreign keys: the record outlives a deleted tenant or endpoint.
CREATE TABLE operational_events (
  id text PRIMARY KEY,
  type text NOT NULL,
  tenant_id text,
  endpoint_id text,
  delivery_id text,
  event_id text,
  data jsonb NOT NULL,
  created_at bigint NOT NULL
);
CREATE INDEX operational_events_by_tenant ON operational_events (tenant_id, id);
CREATE INDEX operational_events_by_type ON operational_events (type, id);
