/**
 * Spans of a publish: `hookd.ingest` for the request (a child of the producer's traceparent when it sent one) and,
 * inside it, `hookd.fan_out` for the one transaction that writes the events and a delivery per matching endpoint.
 * The fan-out span's context is stored with each event, so every attempt to deliver it joins the same trace.
 */
import { ROOT_CONTEXT, type Span, SpanKind, SpanStatusCode, type Tracer, trace } from "@opentelemetry/api";
import { AppError } from "../../errors/app-error.ts";
import { contextFromCarrier, type TraceCarrier, traceparentOf } from "./trace-context.ts";

export interface IngestSpanStart {
  tenantId: string;
  shape: "single" | "batch";
  events: number;
  carrier?: TraceCarrier | undefined;
}

/** What the fan-out wrote, for its span. */
export interface FanOutSummary {
  replayed: boolean;
  eventIds: string[];
  matchedEndpoints: number;
}

export class IngestSpan {
  private fanOutSpan: Span | null = null;

  constructor(
    private readonly tracer: Tracer,
    private readonly span: Span,
  ) {}

  /** Starts the fan-out span and answers the traceparent to store with the events. */
  startFanOut(): string {
    const parent = trace.setSpan(ROOT_CONTEXT, this.span);
    this.fanOutSpan = this.tracer.startSpan("hookd.fan_out", { kind: SpanKind.INTERNAL }, parent);
    return traceparentOf(this.fanOutSpan.spanContext());
  }

  fannedOut(summary: FanOutSummary): void {
    const span = this.fanOutSpan;
    if (!span) return;
    span.setAttributes({
      "hookd.idempotent_replay": summary.replayed,
      "hookd.matched_endpoints": summary.matchedEndpoints,
    });
    if (summary.eventIds.length === 1) span.setAttribute("hookd.event_id", summary.eventIds[0]!);
    else if (summary.eventIds.length > 1) span.setAttribute("hookd.event_ids", summary.eventIds);
  }

  /** Ends both spans; an error marks them (a refused request by its stable code, a fault as an error). */
  end(err?: unknown): void {
    for (const span of [this.fanOutSpan, this.span]) {
      if (!span) continue;
      if (err instanceof AppError) span.setAttribute("hookd.error_code", err.code);
      if (err !== undefined && !(err instanceof AppError)) {
        span.recordException(err instanceof Error ? err : { message: JSON.stringify(err) ?? "unknown error" });
        span.setStatus({ code: SpanStatusCode.ERROR });
      }
      span.end();
    }
  }
}

/** Starts one publish's spans (features/events/service.ts). */
export class IngestTracer {
  constructor(private readonly tracer: Tracer) {}

  start(s: IngestSpanStart): IngestSpan {
    const span = this.tracer.startSpan(
      "hookd.ingest",
      {
        kind: SpanKind.SERVER,
        attributes: { "hookd.tenant_id": s.tenantId, "hookd.publish": s.shape, "hookd.event_count": s.events },
      },
      contextFromCarrier(s.carrier),
    );
    return new IngestSpan(this.tracer, span);
  }
}
