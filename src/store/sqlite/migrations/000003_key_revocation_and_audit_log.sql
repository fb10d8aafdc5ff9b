-- Tenant API keys become revocable and remember when they were last used; every change to tenants, endpoints and
-- keys is recorded in audit_log. The audit log has no foreign key to tenants on purpose: it must outlive what it
-- describes (a deleted tenant's log is still evidence).

ALTER TABLE api_keys ADD COLUMN revoked_at INTEGER;
ALTER TABLE api_keys ADD COLUMN last_used_at INTEGER;
CREATE INDEX api_keys_by_tenant ON api_keys (tenant_id, id);

CREATE TABLE audit_log (
  id TEXT PRIMARY KEY,
  tenant_id TEXT,
  actor_key_id TEXT NOT NULL,
  action TEXT NOT NULL,
  target_type TEXT NOT NULL,
  target_id TEXT NOT NULL,
  before TEXT,
  after TEXT,
  created_at INTEGER NOT NULL
);
CREATE INDEX audit_log_by_tenant ON audit_log (tenant_id, id);
