/**
 * Publishing events. The 202 is only ever sent after the store has committed the events, their deliveries and the
 * idempotency record in one transaction; the store wakes the workers at that commit.
 *
 * Event data up to `fullBytes` (HOOKD_MAX_EVENT_BYTES) is accepted from anyone; larger data, up to `thinBytes`, only
 * for a tenant with `oversized_events: thin`, and such events are then delivered thin to every endpoint
 * (delivery/payload-url.ts). The tenant is read only when an event is that large, so the common path costs nothing.
 */
import { createHash } from "node:crypto";
import { newId } from "../../domain/ids.ts";
import type { Delivery, StoredEvent } from "../../domain/types.ts";
import { AppError } from "../../errors/app-error.ts";
import type { FanOutAdmission, IngestedEvent, NewEvent, Store } from "../../store/store.ts";
import type { IngestCheck } from "../event-types/ingest-check.ts";
import type { IngestSpan, IngestTracer } from "../../observability/tracing/ingest-spans.ts";
import type { TraceCarrier } from "../../observability/tracing/trace-context.ts";
import { MAX_EVENT_BYTES } from "./schemas.ts";

export interface EventSizeLimits {
  /** Largest data delivered in full (HOOKD_MAX_EVENT_BYTES). */
  fullBytes: number;
  /** Largest data accepted for a tenant with oversized_events: thin (HOOKD_MAX_THIN_EVENT_BYTES). */
  thinBytes: number;
}

export const DEFAULT_EVENT_LIMITS: EventSizeLimits = { fullBytes: MAX_EVENT_BYTES, thinBytes: 4 * 1024 * 1024 };

export const IDEMPOTENCY_WINDOW_MS = 24 * 3600 * 1000;
/** Room for the envelope around `data` in a single-event request body (type, id, keys, whitespace). */
const ENVELOPE_BYTES = 4 * 1024;

export interface EventInput {
  id?: string | undefined;
  type: string;
  data: Record<string, unknown>;
  ordering_key?: string | undefined;
}

/**
 * The quota checks of a publish through the API (features/quotas): `admit` checks the payload bytes before the
 * store is called and returns the fan-out checks the store runs in its transaction; `accepted` follows a commit.
 */
export interface PublishQuota {
  admit(dataBytes: number): Promise<FanOutAdmission>;
  accepted(dataBytes: number): void;
}

export type PublishResult = { replayed: false; events: IngestedEvent[] } | { replayed: true; responseJson: string };

export class EventService {
  constructor(
    private readonly store: Store,
    private readonly now: () => number = Date.now,
    /** Declared types and their schemas (strict mode, validation); without it every type is accepted as is. */
    private readonly typeCheck?: IngestCheck,
    readonly limits: EventSizeLimits = DEFAULT_EVENT_LIMITS,
    /** Spans for each publish, when tracing is on (observability/tracing/). */
    private readonly tracer: IngestTracer | null = null,
  ) {}

  /** The largest event data accepted from any tenant at all. */
  get maxDataBytes(): number {
    return Math.max(this.limits.fullBytes, this.limits.thinBytes);
  }

  /**
   * Refuses (413) a request body too large for the tenant's events before it is read: only a tenant with
   * oversized_events: thin may send more than the full-payload limit. The margin covers the envelope around `data`.
   */
  async assertBodyFits(tenantId: string, contentLength: number): Promise<void> {
    if (contentLength <= this.limits.fullBytes + ENVELOPE_BYTES) return;
    await this.assertOversizedAllowed(tenantId);
  }

  private async assertOversizedAllowed(tenantId: string): Promise<void> {
    const tenant = await this.store.getTenant(tenantId);
    if (!tenant) throw new AppError("TENANT_NOT_FOUND", `tenant ${tenantId} not found`);
    if (tenant.oversizedEvents !== "thin") {
      throw new AppError(
        "PAYLOAD_TOO_LARGE",
        `event data is larger than ${this.limits.fullBytes} bytes; a tenant with oversized_events: "thin" may publish up to ${this.maxDataBytes} bytes, delivered thin`,
      );
    }
  }

  /**
   * @param shape which route the events came from: part of the idempotency hash, so one key reused across the
   *   single and batch routes is refused instead of replaying the other route's answer shape.
   * @param render serialises the 202 body; it is stored with the idempotency key so a repeat gets the same bytes.
   * @param carrier the producer's trace headers, continued by the ingest span when tracing is on.
   */
  async publish(
    tenantId: string,
    shape: "single" | "batch",
    inputs: EventInput[],
    idempotencyKey: string | undefined,
    render: (events: IngestedEvent[]) => string,
    carrier?: TraceCarrier,
    quota?: PublishQuota,
  ): Promise<PublishResult> {
    if (!this.tracer) return this.publishTraced(tenantId, shape, inputs, idempotencyKey, render, null, quota);
    const span = this.tracer.start({ tenantId, shape, events: inputs.length, carrier });
    try {
      const result = await this.publishTraced(tenantId, shape, inputs, idempotencyKey, render, span, quota);
      span.end();
      return result;
    } catch (err) {
      span.end(err);
      throw err;
    }
  }

  private async publishTraced(
    tenantId: string,
    shape: "single" | "batch",
    inputs: EventInput[],
    idempotencyKey: string | undefined,
    render: (events: IngestedEvent[]) => string,
    span: IngestSpan | null,
    quota: PublishQuota | undefined,
  ): Promise<PublishResult> {
    assertUniqueIds(inputs);
    await this.typeCheck?.check(tenantId, inputs, shape === "batch");
    const at = this.now();
    let oversized = false;
    let dataBytes = 0;
    const events: NewEvent[] = inputs.map((input, index) => {
      const dataJson = JSON.stringify(input.data);
      const bytes = Buffer.byteLength(dataJson);
      if (bytes > this.maxDataBytes) {
        throw new AppError("PAYLOAD_TOO_LARGE", `event data is larger than ${this.maxDataBytes} bytes`, [
          { index, message: "too large" },
        ]);
      }
      if (bytes > this.limits.fullBytes) oversized = true;
      dataBytes += bytes;
      return {
        id: input.id ?? newId("evt"),
        generatedId: input.id === undefined,
        type: input.type,
        dataJson,
        orderingKey: input.ordering_key ?? null,
        createdAt: at,
      };
    });
    if (oversized) await this.assertOversizedAllowed(tenantId);
    // The fan-out span's context goes into the store with each event: the worker that sends them continues it.
    const traceContext = span?.startFanOut() ?? null;
    if (traceContext !== null) for (const e of events) e.traceContext = traceContext;
    const idempotency = idempotencyKey
      ? {
          key: idempotencyKey,
          requestHash: createHash("sha256").update(JSON.stringify([shape, inputs])).digest("hex"),
          notBefore: at - IDEMPOTENCY_WINDOW_MS,
        }
      : null;
    const admit = quota ? await quota.admit(dataBytes) : undefined;
    const result = await this.store.ingest({ tenantId, events, idempotency, renderResponse: render, ...(admit ? { admit } : {}) });
    if (span && result.kind === "created") {
      span.fannedOut({
        replayed: false,
        eventIds: result.events.map((e) => e.id),
        matchedEndpoints: result.events.reduce((n, e) => n + e.matchedEndpoints, 0),
      });
    } else if (span && result.kind === "replayed") span.fannedOut({ replayed: true, eventIds: [], matchedEndpoints: 0 });
    switch (result.kind) {
      case "created":
        quota?.accepted(dataBytes);
        return { replayed: false, events: result.events };
      case "refused":
        throw result.error;
      case "replayed":
        return { replayed: true, responseJson: result.responseJson };
      case "idempotency_mismatch":
        throw new AppError("IDEMPOTENCY_KEY_MISMATCH", "this Idempotency-Key was used with a different body");
      case "tenant_not_found":
        throw new AppError("TENANT_NOT_FOUND", `tenant ${tenantId} not found`);
      case "event_conflict":
        throw new AppError("EVENT_ID_CONFLICT", `event ${result.eventId} exists with a different type or data`);
      case "target_not_found":
      case "target_disabled":
        // Only a test send names a target (features/test-send); publishing never does.
        throw new Error(`ingest answered ${result.kind} to a publish`);
    }
  }

  async get(tenantId: string, id: string): Promise<{ event: StoredEvent; deliveries: Delivery[] }> {
    const event = await this.store.getEvent(tenantId, id);
    if (!event) throw new AppError("EVENT_NOT_FOUND", `event ${id} not found`);
    const page = await this.store.listDeliveries(tenantId, { eventId: id }, { limit: 1000, after: null });
    return { event, deliveries: page.data };
  }
}

/**
 * One batch naming the same event id twice is refused whole: the stores would otherwise treat the second copy as an
 * existing event (or, on PostgreSQL, drop it silently) while the 202 listed both.
 */
function assertUniqueIds(inputs: EventInput[]): void {
  const seen = new Set<string>();
  const repeated: { index: number; message: string }[] = [];
  inputs.forEach((input, index) => {
    if (input.id === undefined) return;
    if (seen.has(input.id)) repeated.push({ index, message: `event id ${input.id} appears earlier in this batch` });
    seen.add(input.id);
  });
  if (repeated.length > 0) {
    throw new AppError("VALIDATION_FAILED", "event ids must be unique within a batch", repeated);
  }
}
