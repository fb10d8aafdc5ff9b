-- Per-tenant quotas (docs/security.md#quotas). `quotas` holds a tenant's overrides of the HOOKD_QUOTA_* defaults as
-- JSON text (only the keys that differ; NULL: all defaults).
ALTER TABLE tenants ADD COLUMN quotas text;

-- Payload bytes each tenant keeps (events.data not yet expunged), maintained by ingest (+) and by expunging (-), so
-- the stored-bytes quota is checked without summing the events table. A tenant's count is spread over up to 16 slots
-- (ingest picks one at random) so concurrent ingests of one tenant do not queue on one row lock; readers sum them.
CREATE TABLE tenant_usage (
  tenant_id text NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  slot int NOT NULL,
  stored_bytes bigint NOT NULL,
  PRIMARY KEY (tenant_id, slot)
);
-- What is stored already counts (one pass over events, once; octet_length reads a TOASTed value's size without
-- decompressing it).
INSERT INTO tenant_usage (tenant_id, slot, stored_bytes)
SELECT tenant_id, 0, sum(octet_length(data)) FROM events WHERE payload_expunged_at IS NULL GROUP BY tenant_id;
