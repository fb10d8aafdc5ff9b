-- Tracing (docs/operations.md#traces): the W3C traceparent of the span that fanned an event out, written at ingest only while
-- OpenTelemetry tracing is on (NULL otherwise), so the worker that sends the event's deliveries, in another thread
-- or process, can make each attempt's span a child of it. Nullable without a default: no table rewrite.
ALTER TABLE events ADD COLUMN trace_context text;
