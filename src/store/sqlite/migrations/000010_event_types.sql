-- The event-type catalogue: the types a tenant declares, each with an optional JSON Schema (draft 2020-12, kept as
-- the JSON text the caller sent) that ingest validates `data` against. `revision` changes on every write, so the
-- per-process caches of compiled validators can key on it and never serve a replaced schema. Deleting the tenant
-- deletes its types.

CREATE TABLE event_types (
  tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  description TEXT NOT NULL,
  schema TEXT,
  archived INTEGER NOT NULL DEFAULT 0,
  revision TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, name)
);
