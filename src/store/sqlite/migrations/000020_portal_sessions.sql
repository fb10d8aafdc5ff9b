-- The tenant portal (docs/portal.md). A portal session is a credential confined to one tenant, created by the admin
-- key or a tenant key. It is opened with a link token (link_hash) that the portal page exchanges, once, for a session
-- token (token_hash); only SHA-256 hashes of either are stored. Every request re-reads the row by token_hash, so a
-- revocation (revoked_at) or an expiry is refused at once by every process sharing the database.
-- endpoint_ids is a JSON array of the endpoint ids the session may see, or NULL for all of the tenant's.
CREATE TABLE portal_sessions (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  link_hash TEXT UNIQUE,
  token_hash TEXT UNIQUE,
  read_only INTEGER NOT NULL,
  endpoint_ids TEXT,
  created_by TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  exchanged_at INTEGER,
  revoked_at INTEGER,
  last_used_at INTEGER
);
CREATE INDEX portal_sessions_by_tenant ON portal_sessions (tenant_id, id);
CREATE INDEX portal_sessions_by_expiry ON portal_sessions (tenant_id, expires_at);

-- Per-tenant portal settings: the origins allowed to frame the portal (CSP frame-ancestors), a JSON array.
CREATE TABLE portal_settings (
  tenant_id TEXT PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
  frame_ancestors TEXT NOT NULL,
  updated_at INTEGER NOT NULL
);
