/**
 * Ingest: events in, deliveries fanned out, one transaction, nothing acknowledged before it commits. Each delivery
 * gets its endpoint's next sequence number, taken under the endpoint's scheduler row lock, so sequence order is commit
 * order and a worker reading an endpoint's stream never sees a number appear behind one it has passed.
 */
import type { StoredEvent } from "../../domain/types.ts";

export interface NewEvent {
  id: string;
  /** True when hookd generated the id: it cannot collide, so a store may group the insert with other requests'. */
  generatedId?: boolean;
  type: string;
  dataJson: string;
  /** Events with the same key reach a FIFO endpoint in order; null: none. */
  orderingKey?: string | null;
  createdAt: number;
  /** W3C traceparent of the span that fanned the event out, when tracing is on (observability/tracing/). */
  traceContext?: string | null;
}

export interface IngestedEvent {
  id: string;
  type: string;
  createdAt: number;
  matchedEndpoints: number;
}

export interface IdempotencyRequest {
  key: string;
  /** Hash of the request body, so a reused key with another body is refused. */
  requestHash: string;
  /** Records created before this time are expired and the key may be used afresh. */
  notBefore: number;
}

export type IngestResult =
  | { kind: "created"; events: IngestedEvent[] }
  /** The key was seen before with the same body: the stored answer, nothing new written. */
  | { kind: "replayed"; responseJson: string }
  | { kind: "idempotency_mismatch" }
  /** A caller-chosen event id exists already with another type or data. */
  | { kind: "event_conflict"; eventId: string }
  /** Checked inside the transaction, so a tenant deleted meanwhile cannot leave orphans. */
  | { kind: "tenant_not_found" }
  /** Only with a `target`: the endpoint does not exist (or belongs to another tenant), or is disabled; nothing written. */
  | { kind: "target_not_found" }
  | { kind: "target_disabled" }
  /** `admit` refused the planned fan-out (a quota): nothing written; the caller answers with `error`. */
  | { kind: "refused"; error: Error };

/**
 * Quota checks on the fan-out, made by the store inside the ingest transaction once the deliveries are planned and
 * before any of them is written (features/quotas). Synchronous and in memory, so it costs no round trip.
 */
export interface FanOutAdmission {
  /** Planning stops beyond this many deliveries (0: no cap); `check` then sees more than the cap and refuses. */
  maxDeliveries: number;
  /** null admits the request; an error refuses it whole. */
  check(deliveries: number): Error | null;
}

export interface IngestRequest {
  tenantId: string;
  events: NewEvent[];
  idempotency: IdempotencyRequest | null;
  /** Serialises the 202 body once the events are known, so it can be stored with the idempotency key. */
  renderResponse: (events: IngestedEvent[]) => string;
  /**
   * A test send (the request then carries one event): the event gets exactly one delivery, with this id, to this
   * endpoint, whatever the endpoint subscribes to, and no other endpoint gets one. The endpoint is checked in the
   * ingest transaction.
   */
  target?: { endpointId: string; deliveryId: string };
  /** Quota checks on the planned fan-out (publishing through the API); absent: none. */
  admit?: FanOutAdmission;
}

export interface IngestPort {
  ingest(request: IngestRequest): Promise<IngestResult>;
  getEvent(tenantId: string, id: string): Promise<StoredEvent | null>;
  /**
   * The stored trace contexts (traceparent) of these events of the tenant, by event id; events without one, or gone,
   * are absent. Read only while tracing is on, by whoever records attempt spans.
   */
  eventTraceContexts(tenantId: string, eventIds: readonly string[]): Promise<Map<string, string>>;
}
