-- Indexes for scrape-time metrics and the retention job, so neither scans a large table:
-- recent attempts (delivery rate, attempt retention), dead deliveries (dead-letter depth), events by age (retention).
CREATE INDEX attempts_by_started_at ON attempts (started_at);
CREATE INDEX deliveries_dead ON deliveries (id) WHERE status = 'dead';
CREATE INDEX events_by_created_at ON events (created_at);
