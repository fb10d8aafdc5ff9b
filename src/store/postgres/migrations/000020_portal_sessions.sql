-- The tenant portal (docs/portal.md). A portal session is a credential confined to one tenant, created by the admin
-- key or a tenant key. It is opened with a link token (link_hash) that the portal page exchanges, once, for a session
-- token (token_hash); only SHA-256 hashes of either are stored. Every request re-reads the row by token_hash, so a
-- revocation (revoked_at) or an expiry is refused at once by every process sharing the database.
-- endpoint_ids is a JSON array of the endpoint ids the session may see, or NULL for all of the tenant's.
CREATE TABLE portal_sessions (
  id text PRIMARY KEY,
  tenant_id text NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  link_hash text UNIQUE,
  token_hash text UNIQUE,
  read_only boolean NOT NULL,
  endpoint_ids jsonb,
  created_by text NOT NULL,
  created_at bigint NOT NULL,
  expires_at bigint NOT NULL,
  exchanged_at bigint,
  revoked_at bigint,
  last_used_at bigint
);
CREATE INDEX portal_sessions_by_tenant ON portal_sessions (tenant_id, id);
CREATE INDEX portal_sessions_by_expiry ON portal_sessions (tenant_id, expires_at);

-- Per-tenant portal settings: the origins allowed to frame the portal (CSP frame-ancestors).
CREATE TABLE portal_settings (
  tenant_id text PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
  frame_ancestors jsonb NOT NULL,
  updated_at bigint NOT NULL
);
