-- Idempotency keys older than the 24-hour window are purged in batches by the retention job; this index lets each
-- batch find the oldest keys without scanning the table.
CREATE INDEX idempotency_keys_by_age ON idempotency_keys (created_at);
