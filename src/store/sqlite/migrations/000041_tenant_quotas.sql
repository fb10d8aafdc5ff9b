-- Per-tenant quotas (docs/security.md#quotas). `quotas` holds a tenant's overrides of the HOOKD_QUOTA_* defaults as
-- JSON text (only the keys that differ; NULL: all defaults).
ALTER TABLE tenants ADD COLUMN quotas TEXT;

-- Payload bytes each tenant keeps (events.data not yet expunged), maintained by ingest (+) and by expunging (-), so
-- the stored-bytes quota is checked without summing the events table. PostgreSQL spreads a tenant's count over a few
-- slots so concurrent ingests do not queue on one row; SQLite has one writer and uses slot 0 only.
CREATE TABLE tenant_usage (
  tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  slot INTEGER NOT NULL,
  stored_bytes INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, slot)
);
-- What is stored already counts (one pass over events, once).
INSERT INTO tenant_usage (tenant_id, slot, stored_bytes)
SELECT tenant_id, 0, sum(length(CAST(data AS BLOB))) FROM events WHERE payload_expunged_at IS NULL GROUP BY tenant_id;
