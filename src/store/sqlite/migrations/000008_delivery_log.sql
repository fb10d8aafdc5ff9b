-- The delivery log as a support tool: search deliveries by event type, status and time, and show each attempt's
-- request and response headers.

-- The event type is copied onto its deliveries so a type filter walks one index in the log's own order (newest
-- first) instead of joining every event.
ALTER TABLE deliveries ADD COLUMN event_type TEXT NOT NULL DEFAULT '';
UPDATE deliveries SET event_type = (
  SELECT type FROM events e WHERE e.tenant_id = deliveries.tenant_id AND e.id = deliveries.event_id
);
CREATE INDEX deliveries_by_type ON deliveries (tenant_id, event_type, id);
CREATE INDEX deliveries_by_status ON deliveries (tenant_id, status, id);
CREATE INDEX deliveries_by_created ON deliveries (tenant_id, created_at);

-- JSON objects; the request's signature header is stored redacted. Null for attempts recorded before this version.
ALTER TABLE attempts ADD COLUMN request_url TEXT;
ALTER TABLE attempts ADD COLUMN request_headers TEXT;
ALTER TABLE attempts ADD COLUMN response_headers TEXT;
