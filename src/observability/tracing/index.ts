/**
 * Tracing as one module that app.ts and the delivery thread import only when an OTLP endpoint is set: with tracing
 * off, not even the OpenTelemetry packages are loaded.
 */
import type { Logger } from "pino";
import type { IngestPort } from "../../store/ports/ingest.ts";
import { AttemptSpans } from "./attempt-spans.ts";
import { IngestTracer } from "./ingest-spans.ts";
import { startTracing, type Tracing } from "./provider.ts";
import type { TracingSettings } from "./settings.ts";

export interface ThreadTracing extends Tracing {
  /** Spans for publishes (the API). */
  ingest: IngestTracer;
  /** Spans for the attempts of a worker on this thread, reading trace contexts from `events`. */
  attempts(events: Pick<IngestPort, "eventTraceContexts">, log: Logger): AttemptSpans;
}

export function startThreadTracing(settings: TracingSettings, thread: "api" | "delivery"): ThreadTracing {
  const tracing = startTracing(settings, thread);
  return {
    ...tracing,
    ingest: new IngestTracer(tracing.tracer),
    attempts: (events, log) => new AttemptSpans(tracing.tracer, events, log),
  };
}

export type { AttemptSpans, IngestTracer };
