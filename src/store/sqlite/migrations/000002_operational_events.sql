-- Operational events (endpoint disabled or enabled, delivery dead or recovered), written in the transaction that
-- changed the state they describe. No foreign keys: the record outlives a deleted tenant or endpoint.
CREATE TABLE operational_events (
  id TEXT PRIMARY KEY,
  type TEXT NOT NULL,
  tenant_id TEXT,
  endpoint_id TEXT,
  delivery_id TEXT,
  event_id TEXT,
  data TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE INDEX operational_events_by_tenant ON operational_events (tenant_id, id);
CREATE INDEX operational_events_by_type ON operational_events (type, id);
