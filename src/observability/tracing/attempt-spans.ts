/**
 * A span for every delivery attempt, `hookd.attempt`, a child of the fan-out span that wrote its delivery (the trace
 * context stored with the event), so a producer's trace shows each webhook request it caused, retries days later
 * included.
 *
 * It listens to the worker like the metrics do (DeliveryObserver) and builds each span after the fact, with the
 * attempt's own start and end times: the send path never waits for tracing, and the worker knows nothing of it.
 * The events' trace contexts are read from the store in batches (one query per tenant for everything that finished
 * within EVERY_MS), only while tracing is on; the work the worker fetches does not carry them, so the delivery
 * cycle stays as it is.
 */
import { type Attributes, SpanKind, SpanStatusCode, type Tracer } from "@opentelemetry/api";
import type { Logger } from "pino";
import type { AttemptObservation, DeliveryObserver } from "../metrics.ts";
import type { IngestPort } from "../../store/ports/ingest.ts";
import { contextFromTraceparent } from "./trace-context.ts";

const EVERY_MS = 20;

export class AttemptSpans implements DeliveryObserver {
  private pending: AttemptObservation[] = [];
  private timer: NodeJS.Timeout | null = null;
  private readonly writing = new Set<Promise<void>>();

  constructor(
    private readonly tracer: Tracer,
    private readonly events: Pick<IngestPort, "eventTraceContexts">,
    private readonly log: Logger,
  ) {}

  attempted(o: AttemptObservation): void {
    this.pending.push(o);
    this.timer ??= setTimeout(() => this.writeBatch(), EVERY_MS);
  }

  /** Writes the spans of every attempt observed so far (before a shutdown flushes the exporter). */
  async flush(): Promise<void> {
    if (this.pending.length > 0) this.writeBatch();
    await Promise.all([...this.writing]);
  }

  private writeBatch(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const batch = this.pending;
    this.pending = [];
    const task = this.write(batch)
      .catch((err: unknown) => this.log.warn({ err, spans: batch.length }, "attempt spans could not be written"))
      .finally(() => this.writing.delete(task));
    this.writing.add(task);
  }

  private async write(batch: AttemptObservation[]): Promise<void> {
    const byTenant = new Map<string, AttemptObservation[]>();
    for (const o of batch) {
      const list = byTenant.get(o.tenantId) ?? [];
      list.push(o);
      byTenant.set(o.tenantId, list);
    }
    for (const [tenantId, list] of byTenant) {
      let contexts = new Map<string, string>();
      try {
        contexts = await this.events.eventTraceContexts(tenantId, [...new Set(list.map((o) => o.eventId))]);
      } catch (err) {
        // The spans still say what happened; they only lose their place in the producer's trace.
        this.log.warn({ err }, "could not read events' trace contexts; attempt spans start their own traces");
      }
      for (const o of list) this.span(o, contexts.get(o.eventId));
    }
  }

  private span(o: AttemptObservation, traceparent: string | undefined): void {
    const attributes: Attributes = {
      "hookd.tenant_id": o.tenantId,
      "hookd.endpoint_id": o.endpointId,
      "hookd.event_id": o.eventId,
      "hookd.delivery_id": o.deliveryId,
      "hookd.attempt": o.attempt,
      "hookd.outcome": o.outcome,
      "hookd.delivery_status": o.status,
      "http.request.method": "POST",
    };
    if (o.statusCode !== null) attributes["http.response.status_code"] = o.statusCode;
    if (o.errorClass !== null) attributes["error.type"] = o.errorClass;
    const span = this.tracer.startSpan(
      "hookd.attempt",
      { kind: SpanKind.CLIENT, startTime: o.startedAt, attributes },
      contextFromTraceparent(traceparent),
    );
    if (o.outcome !== "success") span.setStatus({ code: SpanStatusCode.ERROR, message: o.errorClass ?? `HTTP ${o.statusCode}` });
    span.end(o.startedAt + o.durationMs);
  }
}

