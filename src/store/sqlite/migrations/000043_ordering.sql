-- Ordering (docs/delivery.md, "Ordering").
--
-- Endpoints choose their ordering: 'none' (deliveries go in parallel up to max_in_flight) or 'fifo' (deliveries with
-- the same event ordering key go one after another, in ingest order), and in FIFO mode what a dead letter does to
-- its key's line: 'continue' with the next event or 'halt' the key until the tenant releases it.
ALTER TABLE endpoints ADD COLUMN ordering TEXT NOT NULL DEFAULT 'none' CHECK (ordering IN ('none', 'fifo'));
ALTER TABLE endpoints ADD COLUMN fifo_on_dead TEXT NOT NULL DEFAULT 'continue' CHECK (fifo_on_dead IN ('continue', 'halt'));
