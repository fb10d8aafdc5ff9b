-- Tenant API keys become revocable and remember when they were last used; every change to tenants, endpoints and
-- keys is recorded in audit_log. The audit log has no foreign key to tenants on purpose: it must outlive what it
-- describes (a deleted tenant's log is still evidence).

ALTER TABLE api_keys ADD COLUMN revoked_at bigint;
ALTER TABLE api_keys ADD COLUMN last_used_at bigint;
CREATE INDEX api_keys_by_tenant ON api_keys (tenant_id, id);

CREATE TABLE audit_log (
  id text PRIMARY KEY,
  tenant_id text,
  actor_key_id text NOT NULL,
  action text NOT NULL,
  target_type text NOT NULL,
  target_id text NOT NULL,
  before jsonb,
  after jsonb,
  created_at bigint NOT NULL
);
CREATE INDEX audit_log_by_tenant ON audit_log (tenant_id, id);
