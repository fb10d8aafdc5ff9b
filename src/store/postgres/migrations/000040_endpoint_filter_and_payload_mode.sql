-- Payload filters and thin deliveries (docs/delivery.md). `filter` is the endpoint's payload filter as the JSON text
-- it was saved with (text, not jsonb, so it reads back in the caller's key order), or NULL for none; ingest compiles
-- it once per subscription cache entry. `payload_mode` says whether a delivery carries the event's data ('full') or
-- only its id, type and timestamp with a signed URL to fetch the data ('thin').
ALTER TABLE endpoints ADD COLUMN filter text;
ALTER TABLE endpoints ADD COLUMN payload_mode text NOT NULL DEFAULT 'full' CHECK (payload_mode IN ('full', 'thin'));

-- What happens to an event larger than HOOKD_MAX_EVENT_BYTES: 'reject' (413) or 'thin' (accepted up to
-- HOOKD_MAX_THIN_EVENT_BYTES and delivered thin to every endpoint).
ALTER TABLE tenants ADD COLUMN oversized_events text NOT NULL DEFAULT 'reject' CHECK (oversized_events IN ('reject', 'thin'));

-- Every fetch of a payload through a thin delivery's URL: who fetched which event for which endpoint, and when.
-- Low volume (at most one per thin delivery attempt), so foreign keys are affordable and clean up with the tenant
-- or endpoint; retention deletes rows by age.
CREATE TABLE payload_fetches (
  id text PRIMARY KEY,
  tenant_id text NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  endpoint_id text NOT NULL REFERENCES endpoints (id) ON DELETE CASCADE,
  event_id text NOT NULL,
  fetched_at bigint NOT NULL,
  remote_address text,
  user_agent text
);
CREATE INDEX payload_fetches_by_endpoint_event ON payload_fetches (endpoint_id, event_id);
CREATE INDEX payload_fetches_by_age ON payload_fetches (fetched_at);
