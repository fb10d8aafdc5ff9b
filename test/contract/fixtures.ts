/**
 * Builders for contract-suite rows: valid defaults, overridable per test.
 */
import { newId } from "../../src/domain/ids.ts";
import type { Attempt, AttemptOutcome, DeliveryStatus, Endpoint, Tenant } from "../../src/domain/types.ts";
import type { AttemptRecord, ClaimedDelivery, IngestRequest, NewEvent } from "../../src/store/store.ts";

export const T0 = 1_800_000_000_000;

export function tenant(id: string, over: Partial<Tenant> = {}): Tenant {
  return { id, name: `Tenant ${id}`, metadata: { plan: "pro" }, createdAt: T0, updatedAt: T0, ...over };
}

export function endpoint(tenantId: string, over: Partial<Endpoint> = {}): Endpoint {
  return {
    id: newId("ep"),
    tenantId,
    url: "https://example.com/hook",
    description: "",
    eventTypes: ["*"],
    signatureScheme: "hmac_sha256",
    // The store keeps sealed secrets as opaque text; the contract never opens them.
    sealedSecret: `hkenc1:0011223344556677:${newId("ep")}`,
    previousSealedSecret: null,
    previousSecretExpiresAt: null,
    publicKey: null,
    headers: { "x-team": "billing" },
    timeoutMs: 15_000,
    // High, so tests about claiming in general are not about the per-endpoint limit (which has its own tests).
    maxInFlight: 1000,
    rateLimitPerS: null,
    retryScheduleS: null,
    disabled: false,
    disabledReason: null,
    metadata: {},
    createdAt: T0,
    updatedAt: T0,
    ...over,
  };
}

/** An event as the service builds it: a caller-chosen `id` override marks the id as not generated. */
export function event(over: Partial<NewEvent> = {}): NewEvent {
  return {
    id: newId("evt"),
    generatedId: over.id === undefined,
    type: "invoice.paid",
    dataJson: '{"amount":42}',
    createdAt: T0,
    ...over,
  };
}

export function ingestRequest(tenantId: string, events: NewEvent[], over: Partial<IngestRequest> = {}): IngestRequest {
  return {
    tenantId,
    events,
    idempotency: null,
    renderResponse: (evs) => JSON.stringify(evs.map((e) => e.id)),
    ...over,
  };
}

/** What one HTTP attempt of a claimed delivery looked like, for `attemptRecord`. */
export interface AttemptShape {
  /** HTTP status of the answer (a 2xx succeeds), or null when none came (see errorClass). */
  status: number | null;
  /** Default: http_status for an answer that is not a 2xx. */
  errorClass?: Attempt["errorClass"];
  durationMs?: number;
  responseBody?: string | null;
  /** Default: when the record is made. */
  startedAt?: number;
  /** Default: success for a 2xx, retry otherwise. */
  outcome?: AttemptOutcome;
  /** What the delivery becomes. Default: succeeded for a 2xx, else failed and due again at once. */
  deliveryStatus?: DeliveryStatus;
}

/**
 * The record a worker writes after one attempt on a claimed delivery (attempt row and next state), as the contract
 * suites need it; `over` replaces any top-level field.
 */
export function attemptRecord(
  d: ClaimedDelivery,
  now: number,
  shape: AttemptShape,
  over: Partial<AttemptRecord> = {},
): AttemptRecord {
  const ok = shape.status !== null && shape.status >= 200 && shape.status < 300;
  const errorClass = ok ? null : (shape.errorClass ?? "http_status");
  const error = ok ? null : shape.status !== null ? `HTTP ${shape.status}` : `${errorClass} failure`;
  const status = shape.deliveryStatus ?? (ok ? "succeeded" : "failed");
  return {
    deliveryId: d.id,
    leaseToken: d.leaseToken,
    attempt: {
      id: `atm_${d.id}_${d.attempts + 1}`,
      deliveryId: d.id,
      attempt: d.attempts + 1,
      startedAt: shape.startedAt ?? now,
      durationMs: shape.durationMs ?? 5,
      statusCode: shape.status,
      responseBody: shape.responseBody ?? null,
      error,
      errorClass,
      outcome: shape.outcome ?? (ok ? "success" : "retry"),
      timeoutMs: 15_000,
    },
    status,
    nextAttemptAt: status === "failed" ? now : null,
    attempts: d.attempts + 1,
    cycleAttempts: d.cycleAttempts + 1,
    lastStatusCode: shape.status,
    lastError: error,
    now,
    disableEndpoint: null,
    ...over,
  };
}
