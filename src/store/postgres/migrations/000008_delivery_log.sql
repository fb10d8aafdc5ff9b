-- The delivery log as a support tool: search deliveries by event type, status and time, and show each attempt's
-- request and response headers.

-- The event type is copied onto its deliveries so a type filter walks one index in the log's own order (newest
-- first) instead of joining every event. COLLATE "C" orders it bytewise, so a prefix wildcard (`invoice.*`) is one
-- index range; event types are ASCII, so nothing is lost.
ALTER TABLE deliveries ADD COLUMN event_type text COLLATE "C" NOT NULL DEFAULT '';
UPDATE deliveries d SET event_type = e.type FROM events e WHERE e.tenant_id = d.tenant_id AND e.id = d.event_id;
CREATE INDEX deliveries_by_type ON deliveries (tenant_id, event_type, id);
CREATE INDEX deliveries_by_status ON deliveries (tenant_id, status, id);
CREATE INDEX deliveries_by_created ON deliveries (tenant_id, created_at);

-- JSON objects; the request's signature header is stored redacted. Null for attempts recorded before this version.
ALTER TABLE attempts ADD COLUMN request_url text;
ALTER TABLE attempts ADD COLUMN request_headers jsonb;
ALTER TABLE attempts ADD COLUMN response_headers jsonb;
