-- Retention: an event's payload can be expunged (by the retention job or on request) while the event row, its
-- deliveries and their summaries stay. The partial index finds the payloads still to expunge by age, and expunged
-- rows leave it, so each retention batch reads only live candidates. It replaces the plain created_at index.
ALTER TABLE events ADD COLUMN payload_expunged_at INTEGER;
CREATE INDEX events_payload_by_age ON events (created_at) WHERE payload_expunged_at IS NULL;
DROP INDEX events_by_created_at;
