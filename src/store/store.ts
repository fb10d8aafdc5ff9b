/**
 * The Store contract: every durable operation hookd performs, in domain terms. Two adapters implement it
 * (store/sqlite for the embedded shape, store/postgres for scale-out) and one contract suite (test/contract) runs
 * against both. Nothing outside store/ sees SQL or a driver type; only app.ts chooses the adapter.
 *
 * The delivery lifecycle the contract encodes:
 *   ingest  -> one transaction writes the events, one delivery per (event, matching enabled endpoint), and the
 *              idempotency record, then wakes the workers. Nothing is acknowledged before that commit.
 *   claim   -> a worker leases due deliveries (status pending or failed, next_attempt_at <= now) for the endpoint's
 *              timeout plus a margin. Claiming moves next_attempt_at to the lease's end, so a crashed worker's deliveries simply become due again when the
 *              lease runs out; no sweeper is needed.
 *   record  -> the attempt row and the delivery's next state are written together, and only while the worker's
 *              lease token still holds, so a worker that lost its lease cannot overwrite a newer outcome.
 */
import type { OperationalEvent } from "../domain/operational-events.ts";
import type {
  Attempt,
  Delivery,
  DeliveryStatus,
  Endpoint,
  JsonObject,
  Page,
  SignatureScheme,
  StoredEvent,
  Tenant,
} from "../domain/types.ts";
import type { BreakerState, EndpointState } from "../domain/endpoint-state.ts";
import type { AttemptStatsTotals } from "../domain/attempt-stats.ts";
import type { Task, TaskKind } from "../domain/tasks.ts";
import type { EventType, EventTypeSummary } from "../domain/event-type.ts";
import type { ConsoleStore } from "./ports/console.ts";
import type { PortalSessionStore } from "./ports/portal-sessions.ts";

export interface PageRequest {
  limit: number;
  /** Exclusive: continue after this id (in the listing's own order). */
  after: string | null;
}

export interface ApiKeyRecord {
  id: string;
  /** null for admin keys; a tenant id for tenant-scoped keys. */
  tenantId: string | null;
  hash: string;
  createdAt: number;
}

/** A stored key as read back: the record plus its lifecycle. A revoked key authenticates nothing. */
export interface ApiKeyInfo extends ApiKeyRecord {
  revokedAt: number | null;
  lastUsedAt: number | null;
}

export type AuditTargetType = "tenant" | "endpoint" | "api_key" | "event_type" | "portal_session";

/** One row of the audit log. `before` and `after` are redacted snapshots (never secrets or key material). */
export interface AuditEntry {
  id: string;
  tenantId: string | null;
  /** The id of the API key that made the change. */
  actorKeyId: string;
  action: string;
  targetType: AuditTargetType;
  targetId: string;
  before: JsonObject | null;
  after: JsonObject | null;
  createdAt: number;
}

/**
 * Asks a mutating store call to record the change in the audit log inside the same transaction, so a change and its
 * audit row commit (or fail) together. The store reads the row before the change itself and hands both states to
 * `snapshot`, which decides what the log keeps (and must leave out secrets).
 */
export interface AuditNote<T> {
  actorKeyId: string;
  action: string;
  at: number;
  snapshot: (row: T) => JsonObject;
}

export type TenantPatch = Partial<Pick<Tenant, "name" | "metadata">>;
export type EndpointPatch = Partial<
  Pick<
    Endpoint,
    | "url"
    | "description"
    | "eventTypes"
    | "headers"
    | "timeoutMs"
    | "retryScheduleS"
    | "disabled"
    | "disabledReason"
    | "metadata"
    | "sealedSecret"
    | "previousSealedSecret"
    | "previousSecretExpiresAt"
    | "publicKey"
    | "maxInFlight"
    | "rateLimitPerS"
  >
>;

export type EventTypePatch = Partial<Pick<EventType, "description" | "schema" | "archived" | "revision">>;

/** A new signing secret for an endpoint; the current one becomes the previous one while `previousExpiresAt` lasts. */
export interface SecretRotation {
  sealedSecret: string;
  publicKey: string | null;
  /** Until when the replaced secret keeps signing; null drops it at once. */
  previousExpiresAt: number | null;
}

/** The stored (sealed) secrets of one endpoint, for re-encrypting them under another master key. */
export interface StoredEndpointSecrets {
  id: string;
  sealedSecret: string;
  previousSealedSecret: string | null;
  previousSecretExpiresAt: number | null;
}

/** Replaces an endpoint's stored secrets, but only while they still equal `expected` (compare and set). */
export interface EndpointSecretsChange {
  expected: StoredEndpointSecrets;
  sealedSecret: string;
  previousSealedSecret: string | null;
  previousSecretExpiresAt: number | null;
}

export interface NewEvent {
  id: string;
  /** True when hookd generated the id: it cannot collide, so a store may group the insert with other requests'. */
  generatedId?: boolean;
  type: string;
  dataJson: string;
  createdAt: number;
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
  | { kind: "target_disabled" };

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
}

export interface DeliveryFilter {
  endpointId?: string | undefined;
  eventId?: string | undefined;
  /** Exact, or a prefix wildcard (`invoice.*`) matched as endpoint subscriptions are; `*` matches every type. */
  eventType?: string | undefined;
  statuses?: DeliveryStatus[] | undefined;
  /** created_at at or after (inclusive), in ms. */
  since?: number | undefined;
  /** created_at before (exclusive), in ms. */
  until?: number | undefined;
  minAttempts?: number | undefined;
}

/** What a worker needs to make one attempt, read in the claim so the hot path makes no further queries. */
export interface ClaimedDelivery {
  id: string;
  tenantId: string;
  eventId: string;
  endpointId: string;
  attempts: number;
  cycleAttempts: number;
  leaseToken: string;
  event: { type: string; dataJson: string; createdAt: number };
  endpoint: {
    url: string;
    signatureScheme: SignatureScheme;
    /** Sealed; the worker opens it (secrets/secret-box.ts). */
    sealedSecret: string;
    previousSealedSecret: string | null;
    previousSecretExpiresAt: number | null;
    headers: Record<string, string>;
    timeoutMs: number;
    retryScheduleS: number[] | null;
    disabled: boolean;
  };
}

/** One endpoint with due work, as the claim sees it while holding the endpoint's state lock. */
export interface EndpointCandidate {
  endpointId: string;
  maxInFlight: number;
  rateLimitPerS: number | null;
  timeoutMs: number;
  state: EndpointState;
}

/** What the isolation rules allow one endpoint in this claim. */
export interface Admission {
  /** Deliveries it may start now; the store also applies max_in_flight and the fair share. */
  quota: number;
  /** The timeout its attempts use (adaptive, never above the configured one). */
  timeoutMs: number;
  /** The state to store once `claimed` deliveries were taken; null leaves it unchanged. */
  settle(claimed: number): EndpointState | null;
}

/**
 * The per-endpoint rules (breaker, pause, rate limit, ramp, adaptive timeout, auto-disable), supplied by the delivery
 * side so the store stays free of policy: the store only keeps the state, locks it, and applies these pure functions
 * under that lock, which is what makes them hold across worker processes.
 */
export interface IsolationPolicy {
  admit(candidate: EndpointCandidate, now: number, leaseMs: number): Admission;
  /** The state after these recorded attempts (oldest first), and a reason to disable the endpoint, if any. */
  observe(state: EndpointState, records: AttemptRecord[], now: number): { state: EndpointState; disableReason: string | null };
}

export interface EndpointHealthRecord {
  state: EndpointState;
  /** Deliveries leased right now, by any worker. */
  inFlight: number;
}

export interface ClaimRequest {
  limit: number;
  /**
   * Each delivery is leased for its endpoint's timeout plus this margin: long enough that a live worker always
   * records before the lease ends, short enough that a crashed worker's fast endpoints are retried within seconds.
   */
  leaseMarginMs: number;
  now: number;
  leaseToken: string;
  /**
   * Without it only max_in_flight and the fair share apply (every endpoint is admitted in full and no state changes).
   */
  isolation?: IsolationPolicy;
}

/** The outcome of one claimed delivery, written atomically. */
export interface AttemptRecord {
  deliveryId: string;
  leaseToken: string;
  /** null when no HTTP attempt was made (the endpoint was disabled meanwhile). */
  attempt: Attempt | null;
  status: DeliveryStatus;
  nextAttemptAt: number | null;
  attempts: number;
  cycleAttempts: number;
  lastStatusCode: number | null;
  lastError: string | null;
  now: number;
  disableEndpoint: { tenantId: string; endpointId: string; reason: string } | null;
  /** A 429 with Retry-After: pause the whole endpoint for this long. */
  endpointPauseMs?: number | null;
}

export interface OperationalEventFilter {
  types?: string[] | undefined;
  tenantId?: string | undefined;
}

/** Queue gauges read at scrape time; cheap because each part is answered from an index. */
export interface QueueStats {
  /** pending or failed, next_attempt_at <= now, not leased. */
  due: number;
  /** pending or failed, due later (a scheduled retry). */
  scheduled: number;
  /** leased by a worker right now. */
  inFlight: number;
  /** next_attempt_at of the longest-waiting due delivery. */
  oldestDueAt: number | null;
  dead: number;
  /** Attempts started in the last minute, across every worker (the recent delivery rate). */
  attemptsLastMinute: number;
}

/** Deliveries still waiting for a successful attempt, counted live. */
export interface DeliveryBacklog {
  pending: number;
  failed: number;
}

/** Claims one runnable task: queued, or running with a lease that has run out (its runner died or stopped). */
export interface TaskClaim {
  /** Only these kinds, so a process never claims a task kind it cannot run (a newer version's). */
  kinds: TaskKind[];
  leaseToken: string;
  leaseMs: number;
  now: number;
}

export interface RecoverBatchRequest {
  taskId: string;
  leaseToken: string;
  /** Deliveries per batch, i.e. per transaction. */
  limit: number;
  /** The lease is renewed to now + leaseMs by every batch. */
  leaseMs: number;
  now: number;
}

/** lease_lost: the task is gone, finished, or another runner holds it; this runner must let it go. */
export type RecoverBatchResult = { kind: "lease_lost" } | { kind: "progress" | "finished"; task: Task };

export type ReplayResult = "replayed" | "not_found" | "in_flight" | "already_pending" | "payload_expunged";

export interface Store {
  readonly kind: "sqlite" | "postgres";
  /** The tenant portal's sessions and settings (store/ports/portal-sessions.ts). */
  readonly portalSessions: PortalSessionStore;
  /** Bounded aggregate reads for the operator console and stats series (store/ports/console.ts). */
  readonly consoleStats: ConsoleStore;

  /** Applies pending migrations; safe to call from many processes at once. */
  migrate(): Promise<void>;
  /** Throws when the store cannot serve a query. */
  ping(): Promise<void>;
  close(): Promise<void>;

  countApiKeys(): Promise<number>;
  /** Inserts, or replaces the hash of the key with the same id. */
  putApiKey(key: ApiKeyRecord): Promise<void>;
  findApiKeyByHash(hash: string): Promise<ApiKeyInfo | null>;
  /** Inserts a new key (its id must be new). */
  insertApiKey(key: ApiKeyRecord, audit?: AuditNote<ApiKeyInfo>): Promise<void>;
  /** A tenant's keys, oldest first, without admin keys. */
  listApiKeys(tenantId: string, page: PageRequest): Promise<Page<ApiKeyInfo>>;
  /**
   * Marks the tenant's key revoked; revoking twice keeps the first time and writes no second audit row.
   * @returns the key after the call, or null when the tenant has no such key.
   */
  revokeApiKey(tenantId: string, id: string, now: number, audit?: AuditNote<ApiKeyInfo>): Promise<ApiKeyInfo | null>;
  /** Records that the key authenticated a request (called at most once per auth-cache period per process). */
  touchApiKey(id: string, now: number): Promise<void>;

  /** Writes one audit row on its own, for changes made outside a store call that takes an AuditNote. */
  insertAuditEntry(entry: AuditEntry): Promise<void>;
  /** The tenant's audit log, newest first, from `since` on. */
  listAuditLog(tenantId: string, since: number, page: PageRequest): Promise<Page<AuditEntry>>;

  /** false when the id is taken. */
  insertTenant(tenant: Tenant, audit?: AuditNote<Tenant>): Promise<boolean>;
  getTenant(id: string): Promise<Tenant | null>;
  listTenants(page: PageRequest): Promise<Page<Tenant>>;
  updateTenant(id: string, patch: TenantPatch, now: number, audit?: AuditNote<Tenant>): Promise<Tenant | null>;
  /** Deletes the tenant and everything it owns (its audit log stays). */
  deleteTenant(id: string, audit?: AuditNote<Tenant>): Promise<boolean>;

  insertEndpoint(endpoint: Endpoint, audit?: AuditNote<Endpoint>): Promise<void>;
  getEndpoint(tenantId: string, id: string): Promise<Endpoint | null>;
  listEndpoints(tenantId: string, page: PageRequest): Promise<Page<Endpoint>>;
  /**
   * When the patch flips `disabled`, the same transaction records `endpoint.disabled` or `endpoint.enabled` (with
   * `disabledReason` as the reason), so every way of switching an endpoint is on the operational record.
   */
  updateEndpoint(
    tenantId: string,
    id: string,
    patch: EndpointPatch,
    now: number,
    audit?: AuditNote<Endpoint>,
  ): Promise<Endpoint | null>;
  /** Deletes the endpoint with its deliveries and attempts. */
  deleteEndpoint(tenantId: string, id: string, audit?: AuditNote<Endpoint>): Promise<boolean>;
  /**
   * In one transaction: the current secret becomes the previous one (or is dropped when `previousExpiresAt` is
   * null) and the new one takes its place. Returns the endpoint as it is now, or null when it does not exist.
   */
  rotateEndpointSecret(
    tenantId: string,
    id: string,
    rotation: SecretRotation,
    now: number,
    audit?: AuditNote<Endpoint>,
  ): Promise<Endpoint | null>;
  /** Every endpoint's stored secrets (all tenants), in id order after `after`, at most `limit`. */
  listEndpointSecrets(after: string | null, limit: number): Promise<StoredEndpointSecrets[]>;
  /**
   * Applies the changes in one transaction, each only where the row still holds its `expected` secrets (a rotation
   * through the API meanwhile wins); returns how many were applied.
   */
  replaceEndpointSecrets(changes: EndpointSecretsChange[]): Promise<number>;

  /** Declares a type in the tenant's catalogue; false when the tenant has one of that name already. */
  insertEventType(eventType: EventType, audit?: AuditNote<EventType>): Promise<boolean>;
  getEventType(tenantId: string, name: string): Promise<EventType | null>;
  /** By name (bytewise order); `page.after` is a name. Archived types only with `includeArchived`. */
  listEventTypes(tenantId: string, includeArchived: boolean, page: PageRequest): Promise<Page<EventType>>;
  /** The whole catalogue without schemas, archived types included: what the ingest cache keeps. */
  listEventTypeSummaries(tenantId: string): Promise<EventTypeSummary[]>;
  updateEventType(
    tenantId: string,
    name: string,
    patch: EventTypePatch,
    now: number,
    audit?: AuditNote<EventType>,
  ): Promise<EventType | null>;
  deleteEventType(tenantId: string, name: string, audit?: AuditNote<EventType>): Promise<boolean>;

  ingest(request: IngestRequest): Promise<IngestResult>;
  getEvent(tenantId: string, id: string): Promise<StoredEvent | null>;

  /** Newest first. */
  listDeliveries(tenantId: string, filter: DeliveryFilter, page: PageRequest): Promise<Page<Delivery>>;
  getDelivery(tenantId: string, id: string): Promise<Delivery | null>;
  /** Oldest first. */
  listAttempts(deliveryId: string): Promise<Attempt[]>;
  replayDelivery(tenantId: string, id: string, now: number): Promise<ReplayResult>;
  /** Requeues every delivery of the endpoint in `status` created at or after `since`; returns how many. */
  replayEndpoint(
    tenantId: string,
    endpointId: string,
    status: "dead" | "failed",
    since: number | null,
    now: number,
  ): Promise<number>;

  /** Background tasks (domain/tasks.ts); see docs/architecture.md, "Background tasks". */
  /** false (and nothing written) when the task's endpoint has a task queued or running already. */
  insertTask(task: Task): Promise<boolean>;
  getTask(tenantId: string, id: string): Promise<Task | null>;
  /** Newest first. */
  listTasks(tenantId: string, page: PageRequest): Promise<Page<Task>>;
  /** Leases the oldest runnable task (status becomes running), or null when there is none. */
  claimTask(claim: TaskClaim): Promise<Task | null>;
  /**
   * One step of an `endpoint.recover` task, in one transaction, only while `leaseToken` holds. The first step counts
   * `total` (the endpoint's failed and dead deliveries in the window) and fixes the newest of them as the task's end;
   * each later step takes the next `limit` of those deliveries by id after the task's cursor, requeues the ones not
   * in flight and not expunged, skips the others, and advances cursor, done, requeued and skipped together, so a
   * crash between steps repeats nothing and loses nothing. A step that finds nothing left finishes the task; an
   * endpoint deleted or disabled meanwhile fails it. Requeued deliveries wake the workers.
   */
  runRecoverBatch(request: RecoverBatchRequest): Promise<RecoverBatchResult>;
  /** Ends this runner's lease now (clean shutdown), so another process takes the task over without waiting. */
  releaseTask(id: string, leaseToken: string, now: number): Promise<void>;

  /**
   * Leases due deliveries fairly: endpoints with due work are visited round robin (a bounded number per claim,
   * starting after the last one visited), each endpoint's state is locked while its leased deliveries are counted,
   * and each gets at most min(admission quota, max_in_flight - in flight, its share of `limit`), first attempts and
   * retries alternating. The cost depends on the endpoints visited and the rows taken, never on the backlog.
   */
  claimDue(request: ClaimRequest): Promise<ClaimedDelivery[]>;

  /** State and in-flight count of these endpoints of the tenant (missing ids are left out). */
  getEndpointHealth(tenantId: string, endpointIds: string[], now: number): Promise<Map<string, EndpointHealthRecord>>;
  /** Back to a closed breaker with no history (enable). false when the endpoint does not exist. */
  resetEndpointState(tenantId: string, endpointId: string, now: number): Promise<boolean>;
  /**
   * Applies each record whose lease still holds. In the same transaction it records the operational events the
   * records cause (store/attempt-operational-events.ts): `endpoint.disabled` when a disableEndpoint flipped an
   * endpoint, `delivery.dead` when an attempt killed a delivery, `delivery.recovered` when one succeeded after a failed
   * attempt. With `isolation`, it also folds the attempts into each endpoint's state and disables an endpoint the
   * policy gives up on (with the same `endpoint.disabled` event), in that transaction too.
   */
  recordAttempts(records: AttemptRecord[], isolation?: IsolationPolicy): Promise<void>;
  /** Hands leased deliveries back without spending an attempt (graceful shutdown). */
  releaseLeases(ids: string[], leaseToken: string, now: number): Promise<void>;
  /**
   * Records one operational event of any type, and, when the operator tenant has an enabled endpoint that matches,
   * ingests it as an event of that tenant in the same transaction (domain/operational-events.ts).
   */
  recordOperationalEvent(event: OperationalEvent): Promise<void>;
  /** Newest first. */
  listOperationalEvents(filter: OperationalEventFilter, page: PageRequest): Promise<Page<OperationalEvent>>;

  queueStats(now: number): Promise<QueueStats>;

  /**
   * Delivery stats. recordAttempts adds every landed HTTP attempt to its endpoint's row for the minute the attempt
   * started (in the same transaction); this sums the rows of one endpoint, or of every endpoint of the tenant when
   * `endpointId` is null, for the minutes in [from, to).
   */
  attemptStats(tenantId: string, endpointId: string | null, from: number, to: number): Promise<AttemptStatsTotals>;
  /** Pending and failed deliveries of one endpoint (the caller checked it belongs to the tenant), or of the tenant. */
  deliveryBacklog(tenantId: string, endpointId: string | null): Promise<DeliveryBacklog>;
  /** Endpoints per stored breaker state, across all tenants (every state present, 0 when none). */
  countEndpointsByBreaker(): Promise<Record<BreakerState, number>>;
  /** Retention: deletes up to `limit` per-minute stats rows of minutes before `before`; returns how many. */
  deleteAttemptStatsBefore(before: number, limit: number): Promise<number>;
  /** Retention: deletes up to `limit` tasks that finished before `before` (never a queued or running one). */
  deleteFinishedTasksBefore(before: number, limit: number): Promise<number>;

  /**
   * Retention. Drops one event's payload now (idempotent); its deliveries still waiting become dead ("payload
   * expunged"), since there is nothing left to send. false when the tenant has no such event.
   */
  expungeEventPayload(tenantId: string, eventId: string, now: number): Promise<boolean>;
  /**
   * One small batch each, so no statement holds locks for long; each returns how many rows it changed, and the
   * caller repeats while a batch comes back full. Payloads: events created before `before` with no delivery still
   * waiting. Attempts: rows started before `before` (the delivery keeps its summary). Bodies: clears the response bodies of
   * the next `limit` attempts started in [from, before), oldest first, and returns how many it scanned and the last
   * one's start; `from` is the caller's watermark, so cleared rows are not read again.
   */
  expungePayloadsBefore(before: number, limit: number, now: number): Promise<number>;
  deleteAttemptsBefore(before: number, limit: number): Promise<number>;
  /** Forgets up to `limit` idempotency keys recorded before `before` (past their window); returns how many. */
  deleteIdempotencyKeysBefore(before: number, limit: number): Promise<number>;
  clearResponseBodies(from: number, before: number, limit: number): Promise<{ scanned: number; lastStartedAt: number | null }>;

  /** Calls `onWork` soon after new deliveries commit anywhere (LISTEN/NOTIFY, or in-process for SQLite). */
  subscribeWork(onWork: () => void): () => void;
}

export type { JsonObject };
