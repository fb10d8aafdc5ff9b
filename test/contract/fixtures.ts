/**
 * Builders for contract-suite rows: valid defaults, overridable per test.
 */
import { newId } from "../../src/domain/ids.ts";
import type { Attempt, AttemptOutcome, DeliveryStatus, Endpoint, Tenant } from "../../src/domain/types.ts";
import type { IngestRequest, NewEvent, Outcome, QueuePort, WorkItem } from "../../src/store/store.ts";
import { QueueDriver } from "./queue-driver.ts";

export const T0 = 1_800_000_000_000;

export function tenant(id: string, over: Partial<Tenant> = {}): Tenant {
  return {
    id,
    name: `Tenant ${id}`,
    metadata: { plan: "pro" },
    oversizedEvents: "reject",
    eventRetentionDays: null,
    quotas: {},
    createdAt: T0,
    updatedAt: T0,
    ...over,
  };
}

export function endpoint(tenantId: string, over: Partial<Endpoint> = {}): Endpoint {
  return {
    id: newId("ep"),
    tenantId,
    type: "http",
    url: "https://example.com/hook",
    description: "",
    eventTypes: ["*"],
    filterJson: null,
    payloadMode: "full",
    ordering: "none",
    fifoOnDead: "continue",
    signatureScheme: "hmac_sha256",
    // The store keeps sealed secrets as opaque text; the contract never opens them.
    sealedSecret: `hkenc1:0011223344556677:${newId("ep")}`,
    previousSealedSecret: null,
    previousSecretExpiresAt: null,
    publicKey: null,
    headers: { "x-team": "billing" },
    oauth2: null,
    mtls: null,
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

/** A delivery a worker holds: the work item, its id, and the (test) worker that took its endpoint over. */
export interface Taken extends WorkItem {
  id: string;
  driver: QueueDriver;
}

/** Takes over everything due at `now` as worker `worker`, like a worker's first cycle. */
export async function claimDue(store: QueuePort, now: number, worker = "worker-a", limit = 100): Promise<Taken[]> {
  const driver = new QueueDriver(store, worker);
  const work = await driver.take(now, { limit, count: 1000 });
  return work.map((w) => ({ ...w, id: w.deliveryId, driver }));
}

/** One outcome as its worker writes it, and optionally a request to disable the endpoint (a 410). */
export interface Recorded {
  driver: QueueDriver;
  outcome: Outcome;
  disable?: string;
}

/** The outcome of one attempt on a taken delivery, as the contract suites need it; `over` replaces any field. */
export function attemptRecord(d: Taken, now: number, shape: AttemptShape, over: Partial<Outcome> = {}, disable?: string): Recorded {
  const outcome = d.driver.outcome(
    d,
    now,
    {
      status: shape.status,
      ...(shape.errorClass !== undefined ? { errorClass: shape.errorClass } : {}),
      ...(shape.durationMs !== undefined ? { durationMs: shape.durationMs } : {}),
      ...(shape.responseBody !== undefined ? { responseBody: shape.responseBody } : {}),
      ...(shape.startedAt !== undefined ? { startedAt: shape.startedAt } : {}),
      ...(shape.outcome !== undefined ? { outcome: shape.outcome } : {}),
      ...(shape.deliveryStatus !== undefined && shape.deliveryStatus !== "pending" ? { deliveryStatus: shape.deliveryStatus } : {}),
    },
    over,
  );
  return { driver: d.driver, outcome, ...(disable ? { disable } : {}) };
}

/**
 * Writes the outcomes the way their workers would (one cycle per worker, with the stream acks), and gives back the
 * endpoints left with nothing in hand, so the next claim of any worker sees what is due. Returns the endpoints each worker had lost.
 */
export async function recordAttempts(records: Recorded[], now?: number): Promise<string[]> {
  const byDriver = new Map<QueueDriver, Recorded[]>();
  for (const r of records) byDriver.set(r.driver, [...(byDriver.get(r.driver) ?? []), r]);
  const lost: string[] = [];
  for (const [driver, list] of byDriver) {
    const at = now ?? Math.max(...list.map((r) => r.outcome.now));
    const disables = list
      .filter((r) => r.disable)
      .map((r) => ({ owner: r.outcome.owner, tenantId: r.outcome.tenantId, reason: r.disable!, cause: { deliveryId: r.outcome.deliveryId, eventId: r.outcome.eventId } }));
    const result = await driver.record(
      list.map((r) => r.outcome),
      at,
      { release: "idle", disables: disables.slice(0, 1) },
    );
    lost.push(...result.lost);
  }
  return lost;
}
