/**
 * The queue port: the only part of the store the delivery worker sees. Its model (docs/architecture.md, "The
 * delivery queue"):
 *
 * - Every endpoint has a scheduler row (`endpoint_queue`) saying when a worker should next look at it, and a stream:
 *   its deliveries numbered 1, 2, 3 ... in the order their ingest committed (`seq`). Fresh deliveries are consumed
 *   from the stream; retries and replays wait as rows of a narrow job table until their `run_at`.
 * - A worker *owns* an endpoint while it sends to it. It takes ownership of endpoints that are due (in due order,
 *   skipping rows another worker is taking), keeps it by renewing a lease, and gives it back when the endpoint has
 *   nothing left to send now. Ownership is fenced by an epoch: taking an endpoint over bumps it, and every write a
 *   worker makes for an endpoint names the epoch it owns, so the writes of a worker that lost an endpoint are refused.
 * - Only the owner sends to an endpoint, so every per-endpoint rule (max_in_flight, breaker, rate, pauses) is
 *   enforced in the owner's memory, and the state that outlives ownership is written back in the same cycles.
 *
 * A cycle is one transaction (one round trip on PostgreSQL): it records outcomes, advances stream cursors, writes
 * endpoint state, renews and releases ownership, fetches more work for owned endpoints and takes over due ones.
 */
import type { EndpointMtls, EndpointOAuth2 } from "../../domain/endpoint-auth.ts";
import type { EndpointState } from "../../domain/endpoint-state.ts";
import type { Attempt, DeliveryStatus, EndpointType, FifoOnDead, OrderingMode, PayloadMode, SignatureScheme } from "../../domain/types.ts";

/** A worker's hold on one endpoint: valid while the endpoint's epoch is still this one. */
export interface Ownership {
  endpointId: string;
  epoch: number;
}

/** Where a unit of work came from: the endpoint's stream of fresh deliveries, or the job table (retries, replays). */
export type WorkSource = { kind: "stream"; seq: number } | { kind: "job"; runAt: number };

/** What the owner needs about its endpoint to send; re-sent by a cycle whenever the endpoint's `version` changes. */
export interface EndpointConfig {
  endpointId: string;
  tenantId: string;
  /** The endpoint row's updated_at: the owner asks for the config again when it differs. */
  version: number;
  /** relay: sent through hookd's relay route to a `hookd listen` session, not through the egress guard. */
  type: EndpointType;
  url: string;
  signatureScheme: SignatureScheme;
  /** Sealed; the worker opens it (secrets/secret-box.ts). */
  sealedSecret: string;
  previousSealedSecret: string | null;
  previousSecretExpiresAt: number | null;
  headers: Record<string, string>;
  /** Client credentials and client certificate (domain/endpoint-auth.ts), their secrets sealed. */
  oauth2: EndpointOAuth2 | null;
  mtls: EndpointMtls | null;
  timeoutMs: number;
  maxInFlight: number;
  rateLimitPerS: number | null;
  retryScheduleS: number[] | null;
  payloadMode: PayloadMode;
  /** fifo: one delivery at a time per ordering key (delivery/key-lines.ts). */
  ordering: OrderingMode;
  fifoOnDead: FifoOnDead;
  disabled: boolean;
  /** When the endpoint's isolation state was last reset (enable): an owner holding older state starts over. */
  stateResetAt: number;
}

/** One delivery to attempt, with everything the attempt needs. */
export interface WorkItem {
  deliveryId: string;
  tenantId: string;
  eventId: string;
  endpointId: string;
  source: WorkSource;
  /** The delivery's place in its endpoint's stream (deliveries.seq), whatever the source: sent as webhook-sequence. */
  seq: number;
  /** The event's ordering key (null: none); a FIFO endpoint lines deliveries up by it (domain/ordering.ts). */
  orderingKey: string | null;
  /**
   * FIFO endpoints only: when the stream position was fetched, its key had a job (a retry, a parked delivery) or was
   * halted, so it must not be sent now: the owner parks it (CycleInput.parks).
   */
  blocked: boolean;
  /** Attempts made so far (the next one is attempts + 1). */
  attempts: number;
  /** Attempts since the last replay: the retry schedule's position. */
  cycleAttempts: number;
  /** The delivery's last attempt failed: a success now is a `delivery.recovered`. */
  hadFailure: boolean;
  event: { type: string; dataJson: string; createdAt: number };
}

/** A stream position the owner fetched but must not send: recorded already, expunged, or queued as a job. */
export interface SkippedSeq {
  endpointId: string;
  seq: number;
}

/** The outcome of one unit of work (an HTTP attempt, or none), written by the owner's next cycle. */
export interface Outcome {
  owner: Ownership;
  tenantId: string;
  deliveryId: string;
  eventId: string;
  source: WorkSource;
  /** null when no HTTP attempt was made. */
  attempt: Attempt | null;
  status: Exclude<DeliveryStatus, "pending">;
  /** When the retry runs (status failed). */
  nextAttemptAt: number | null;
  attempts: number;
  cycleAttempts: number;
  lastStatusCode: number | null;
  lastError: string | null;
  now: number;
  hadFailure: boolean;
  /** The delivery's stream number: kept on the job of a FIFO retry, which its key's line is ordered by. */
  seq?: number;
  /**
   * FIFO endpoints only: the line (domain/ordering.ts lineKey) the delivery belongs to; null otherwise. A retry
   * keeps the line blocked; a success, or a death without `halt`, lets the line's next parked delivery go.
   */
  fifoKey?: string | null;
  /** A dead FIFO delivery halts its key (fifo_on_dead = halt) until the tenant releases it. */
  halt?: boolean;
}

/**
 * A FIFO delivery that must wait behind its key's blocked delivery: it becomes a parked job (never due, the stream
 * moves past it) until the cycle that records the end of the delivery before it makes it due.
 */
export interface Park {
  owner: Ownership;
  tenantId: string;
  deliveryId: string;
  eventId: string;
  seq: number;
  fifoKey: string;
  attempts: number;
}

export interface Refill {
  owner: Ownership;
  /** Stream positions after this one (the owner has everything up to it). */
  afterSeq: number;
  streamLimit: number;
  /** Due jobs to fetch, not counting `heldJobs`, which the owner already has (in flight or waiting). */
  jobLimit: number;
  heldJobs: string[];
  /** The config version the owner has; a different one comes back with the work. */
  configVersion: number;
  /** The endpoint is in FIFO mode: stream positions come back with `blocked` worked out. */
  fifo?: boolean;
}

export interface Release {
  owner: Ownership;
  /** The endpoint may not be sent to before this (a pause, an open breaker, the rate limit); `now` otherwise. */
  notBefore: number;
}

export interface CycleInput {
  /** The worker's id: who owns what. */
  worker: string;
  now: number;
  outcomes: Outcome[];
  /** FIFO deliveries to park; written before the outcomes, so an outcome that frees a key sees them. */
  parks?: Park[];
  /** Every stream position up to `seq` is done (recorded or skipped): where a new owner would start. */
  acks: { owner: Ownership; seq: number }[];
  /** Endpoint state to keep for whoever owns the endpoint next, and for the health API. */
  states: { owner: Ownership; state: EndpointState }[];
  /**
   * Endpoints to disable (410 Gone, or every attempt failing for too long), with the reason and, for a 410, the
   * delivery whose attempt got it (the `endpoint.disabled` operational event names it).
   */
  disables: { owner: Ownership; tenantId: string; reason: string; cause?: { deliveryId: string; eventId: string } }[];
  /** Extends ownership to `until`. */
  renewals: { owner: Ownership; until: number }[];
  releases: Release[];
  refills: Refill[];
  /** Take over up to `count` due endpoints, owned until `now + leaseMs(endpoint)`. */
  takeover: { count: number; leaseMarginMs: number; streamLimit: number; jobLimit: number } | null;
}

export interface TakenEndpoint {
  owner: Ownership;
  config: EndpointConfig;
  state: EndpointState;
  ackedSeq: number;
  ownedUntil: number;
}

export interface CycleResult {
  /** Endpoints this cycle found owned by someone else (or deleted): the worker drops them and their work. */
  lost: string[];
  taken: TakenEndpoint[];
  /** Configs that changed since the owner's version (or of taken endpoints). */
  configs: EndpointConfig[];
  work: WorkItem[];
  skipped: SkippedSeq[];
  /**
   * For each refilled endpoint, the highest stream position the fetch looked at (a fetch that found nothing new
   * returns the refill's afterSeq).
   */
  streamEnds: { endpointId: string; seq: number }[];
  /** Disables that switched an endpoint off (an endpoint disabled already is not in it). */
  disabled: string[];
  /** The earliest time any endpoint becomes due (owned ones at their lease's end); null when none has work. */
  nextDueAt: number | null;
}

/** What the worker imports from the store, and nothing more. */
export interface QueuePort {
  cycle(input: CycleInput): Promise<CycleResult>;
  /**
   * Calls `onWork` soon after work arrives that no worker owns yet (NOTIFY on PostgreSQL, in-process on SQLite).
   * Returns the unsubscribe function.
   */
  subscribeWork(onWork: () => void): () => void;
  /**
   * Calls `onChange` soon after an endpoint of the tenant (null: of any tenant) was changed through the API: disabled,
   * its URL, secret or limits edited, or deleted. An owner holding such an endpoint stops sending to it until a cycle
   * has given it the new config, so a disabled endpoint gets no new request from work fetched before the change.
   * Returns the unsubscribe function.
   */
  subscribeEndpointChanges(onChange: (tenantId: string | null) => void): () => void;
}
