-- The event-type catalogue: the types a tenant declares, each with an optional JSON Schema (draft 2020-12, kept as
-- the JSON text the caller sent) that ingest validates `data` against. `revision` changes on every write, so the
-- per-process caches of compiled validators can key on it and never serve a replaced schema. Deleting the tenant
-- deletes its types. COLLATE "C" orders names bytewise, as SQLite does, so both stores page the list alike.

CREATE TABLE event_types (
  tenant_id text NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  name text COLLATE "C" NOT NULL,
  description text NOT NULL,
  schema text,
  archived boolean NOT NULL DEFAULT false,
  revision text NOT NULL,
  created_at bigint NOT NULL,
  updated_at bigint NOT NULL,
  PRIMARY KEY (tenant_id, name)
);
