/**
 * The scale-out store: any number of hookd processes share one PostgreSQL. Workers claim due deliveries in batches
 * with FOR UPDATE SKIP LOCKED, so concurrent claimers never wait on each other's rows and never take the same one;
 * completions of a batch are written with one statement over unnest() arrays instead of a round trip per delivery.
 */
import { randomInt } from "node:crypto";
import { EventEmitter } from "node:events";
import type pg from "pg";
import { initialEndpointState, parseEndpointState, serializeEndpointState } from "../../domain/endpoint-state.ts";
import type { BreakerState } from "../../domain/endpoint-state.ts";
import type { AttemptStatsTotals } from "../../domain/attempt-stats.ts";
import { matchesEventType } from "../../domain/event-type-match.ts";
import { newId } from "../../domain/ids.ts";
import {
  forwardsToOperator,
  newOperationalEvent,
  OPERATOR_TENANT_ID,
  type OperationalEvent,
  operationalEventToApi,
} from "../../domain/operational-events.ts";
import type { Attempt, Delivery, Endpoint, Page, SignatureScheme, StoredEvent, Tenant } from "../../domain/types.ts";
import {
  type AppliedAttempt,
  mayProduceOperationalEvents,
  operationalEventsFor,
} from "../attempt-operational-events.ts";
import { breakerCounts, toTotals } from "../attempt-stats-columns.ts";
import { toPage } from "../paging.ts";
import {
  type ApiKeyRow,
  type AttemptRow,
  type AuditRow,
  auditEntryFor,
  auditParams,
  type DeliveryRow,
  type EndpointRow,
  type EventRow,
  type SecretsRow,
  type OperationalEventRow,
  operationalEventValues,
  type TenantRow,
  toApiKey,
  toAttempt,
  toAuditEntry,
  toDelivery,
  toEndpoint,
  toEvent,
  toStoredSecrets,
  toOperationalEvent,
  toTenant,
} from "../rows.ts";
import { NO_ISOLATION, shareOf, visitLimit } from "../fair-claim.ts";
import type {
  Admission,
  ApiKeyInfo,
  ApiKeyRecord,
  AttemptRecord,
  AuditEntry,
  AuditNote,
  ClaimedDelivery,
  ClaimRequest,
  DeliveryFilter,
  EndpointHealthRecord,
  EndpointPatch,
  EndpointSecretsChange,
  IngestedEvent,
  IsolationPolicy,
  IngestRequest,
  IngestResult,
  OperationalEventFilter,
  PageRequest,
  DeliveryBacklog,
  QueueStats,
  RecoverBatchRequest,
  RecoverBatchResult,
  ReplayResult,
  SecretRotation,
  Store,
  StoredEndpointSecrets,
  TaskClaim,
  TenantPatch,
} from "../store.ts";
import {
  attemptStatsCte,
  attemptStatsParams,
  attemptStatsSql,
  BREAKER_COUNTS_SQL,
  DELETE_STATS_SQL,
  deliveryBacklogSql,
} from "./attempt-stats.ts";
import { deliverySearchSql } from "./delivery-search.ts";
import { migratePostgres } from "./migrate.ts";
import { appendRecords, DeferredObservations, type RecordsByEndpoint } from "./deferred-observations.ts";
import { createPool, inTransaction } from "./pool.ts";
import { PostgresTasks } from "./task-queries.ts";
import { PostgresEventTypes } from "./event-types.ts";
import { PostgresConsole } from "./console.ts";
import { PostgresPortalSessions } from "./portal-sessions.ts";
import type { EventType, EventTypeSummary } from "../../domain/event-type.ts";
import type { EventTypePatch } from "../store.ts";
import { WORK_CHANNEL, WorkListener } from "./work-listener.ts";
import type { Task } from "../../domain/tasks.ts";

class EventConflict extends Error {
  constructor(readonly eventId: string) {
    super(`event ${eventId} exists with other content`);
  }
}

/** A concurrent request holding the same Idempotency-Key committed first; start over and read its answer. */
class IdempotencyRace extends Error {}

const INSERT_AUDIT = `INSERT INTO audit_log
  (id, tenant_id, actor_key_id, action, target_type, target_id, before, after, created_at)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`;

/** Writes an audit row on the transaction's client, so it commits or rolls back with the change it describes. */
async function writeAudit(client: pg.PoolClient | pg.Pool, entry: AuditEntry): Promise<void> {
  await client.query(INSERT_AUDIT, auditParams(entry));
}

/** The columns an update may change (signature_scheme is fixed at creation), in endpointValues() order. */
const ENDPOINT_COLUMNS =
  "url, description, event_types, secret, previous_secret, previous_secret_expires_at, public_key, headers, " +
  "timeout_ms, retry_schedule_s, disabled, disabled_reason, metadata, max_in_flight, rate_limit_per_s";

function endpointValues(e: Endpoint): unknown[] {
  return [
    e.url,
    e.description,
    JSON.stringify(e.eventTypes),
    e.sealedSecret,
    e.previousSealedSecret,
    e.previousSecretExpiresAt,
    e.publicKey,
    JSON.stringify(e.headers),
    e.timeoutMs,
    e.retryScheduleS === null ? null : JSON.stringify(e.retryScheduleS),
    e.disabled,
    e.disabledReason,
    JSON.stringify(e.metadata),
    e.maxInFlight,
    e.rateLimitPerS,
  ];
}

interface ClaimRow {
  id: string;
  tenant_id: string;
  event_id: string;
  endpoint_id: string;
  attempts: number;
  cycle_attempts: number;
  type: string;
  data: string;
  event_created_at: number;
  url: string;
  signature_scheme: SignatureScheme;
  secret: string;
  previous_secret: string | null;
  previous_secret_expires_at: number | null;
  headers: Record<string, string>;
  timeout_ms: number;
  retry_schedule_s: number[] | null;
  disabled: boolean;
}

export interface PostgresStoreOptions {
  url: string;
  poolSize: number;
  onError: (err: Error) => void;
  /** The stats row this store adds to in each minute; random unless a test pins it. */
  statsShard?: number;
}

export class PostgresStore implements Store {
  readonly kind = "postgres" as const;
  private readonly pool: pg.Pool;
  private readonly work = new EventEmitter();
  private listener: WorkListener | null = null;
  private readonly tasks: PostgresTasks;
  /** Attempts whose fold into endpoint state waits for the state's lock (see deferred-observations.ts). */
  private readonly deferred = new DeferredObservations();
  private lastIsolation: IsolationPolicy | null = null;
  /** This process's row of each stats minute (000012_endpoint_attempt_stats.sql): no lock shared with other workers. */
  private readonly statsShard: number;

  private readonly eventTypes: PostgresEventTypes;
  readonly portalSessions: PostgresPortalSessions;
  readonly consoleStats: PostgresConsole;

  constructor(private readonly options: PostgresStoreOptions) {
    this.statsShard = options.statsShard ?? randomInt(STATS_SHARDS);
    this.pool = createPool(options.url, options.poolSize, options.onError);
    this.work.setMaxListeners(0);
    this.tasks = new PostgresTasks(this.pool);
    this.eventTypes = new PostgresEventTypes(this.pool, writeAudit);
    this.portalSessions = new PostgresPortalSessions(this.pool);
    this.consoleStats = new PostgresConsole(this.pool);
  }

  async migrate(): Promise<void> {
    await migratePostgres(this.pool);
  }

  async ping(): Promise<void> {
    await this.pool.query("SELECT 1");
  }

  async close(): Promise<void> {
    await this.foldDeferred().catch(() => undefined);
    this.work.removeAllListeners();
    await this.listener?.close();
    this.listener = null;
    await this.pool.end();
  }

  async countApiKeys(): Promise<number> {
    const { rows } = await this.pool.query<{ n: number }>("SELECT count(*) AS n FROM api_keys");
    return rows[0]?.n ?? 0;
  }

  async putApiKey(key: ApiKeyRecord): Promise<void> {
    await this.pool.query(
      `INSERT INTO api_keys (id, tenant_id, hash, created_at) VALUES ($1, $2, $3, $4)
       ON CONFLICT (id) DO UPDATE SET hash = excluded.hash`,
      [key.id, key.tenantId, key.hash, key.createdAt],
    );
  }

  async findApiKeyByHash(hash: string): Promise<ApiKeyInfo | null> {
    const { rows } = await this.pool.query<ApiKeyRow>("SELECT * FROM api_keys WHERE hash = $1", [hash]);
    return rows[0] ? toApiKey(rows[0]) : null;
  }

  async insertApiKey(key: ApiKeyRecord, audit?: AuditNote<ApiKeyInfo>): Promise<void> {
    await inTransaction(this.pool, async (client) => {
      await client.query("INSERT INTO api_keys (id, tenant_id, hash, created_at) VALUES ($1, $2, $3, $4)", [
        key.id,
        key.tenantId,
        key.hash,
        key.createdAt,
      ]);
      if (audit) {
        const after = { ...key, revokedAt: null, lastUsedAt: null };
        await writeAudit(client, auditEntryFor(audit, { type: "api_key", id: key.id, tenantId: key.tenantId }, null, after));
      }
    });
  }

  async listApiKeys(tenantId: string, page: PageRequest): Promise<Page<ApiKeyInfo>> {
    const { rows } = await this.pool.query<ApiKeyRow>(
      "SELECT * FROM api_keys WHERE tenant_id = $1 AND id > $2 ORDER BY id LIMIT $3",
      [tenantId, page.after ?? "", page.limit + 1],
    );
    return toPage(rows.map(toApiKey), page.limit);
  }

  async revokeApiKey(
    tenantId: string,
    id: string,
    now: number,
    audit?: AuditNote<ApiKeyInfo>,
  ): Promise<ApiKeyInfo | null> {
    return inTransaction(this.pool, async (client) => {
      const { rows } = await client.query<ApiKeyRow>(
        "SELECT * FROM api_keys WHERE tenant_id = $1 AND id = $2 FOR UPDATE",
        [tenantId, id],
      );
      if (!rows[0]) return null;
      const before = toApiKey(rows[0]);
      if (before.revokedAt !== null) return before;
      await client.query("UPDATE api_keys SET revoked_at = $2 WHERE id = $1", [id, now]);
      const after = { ...before, revokedAt: now };
      if (audit) await writeAudit(client, auditEntryFor(audit, { type: "api_key", id, tenantId }, before, after));
      return after;
    });
  }

  async touchApiKey(id: string, now: number): Promise<void> {
    await this.pool.query("UPDATE api_keys SET last_used_at = $2 WHERE id = $1", [id, now]);
  }

  async insertAuditEntry(entry: AuditEntry): Promise<void> {
    await writeAudit(this.pool, entry);
  }

  async listAuditLog(tenantId: string, since: number, page: PageRequest): Promise<Page<AuditEntry>> {
    const { rows } = page.after
      ? await this.pool.query<AuditRow>(
          "SELECT * FROM audit_log WHERE tenant_id = $1 AND created_at >= $2 AND id < $3 ORDER BY id DESC LIMIT $4",
          [tenantId, since, page.after, page.limit + 1],
        )
      : await this.pool.query<AuditRow>(
          "SELECT * FROM audit_log WHERE tenant_id = $1 AND created_at >= $2 ORDER BY id DESC LIMIT $3",
          [tenantId, since, page.limit + 1],
        );
    return toPage(rows.map(toAuditEntry), page.limit);
  }

  async insertTenant(t: Tenant, audit?: AuditNote<Tenant>): Promise<boolean> {
    return inTransaction(this.pool, async (client) => {
      const { rowCount } = await client.query(
        `INSERT INTO tenants (id, name, metadata, created_at, updated_at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (id) DO NOTHING`,
        [t.id, t.name, JSON.stringify(t.metadata), t.createdAt, t.updatedAt],
      );
      if (rowCount !== 1) return false;
      if (audit) await writeAudit(client, auditEntryFor(audit, { type: "tenant", id: t.id, tenantId: t.id }, null, t));
      return true;
    });
  }

  async getTenant(id: string): Promise<Tenant | null> {
    const { rows } = await this.pool.query<TenantRow>("SELECT * FROM tenants WHERE id = $1", [id]);
    return rows[0] ? toTenant(rows[0]) : null;
  }

  async listTenants(page: PageRequest): Promise<Page<Tenant>> {
    const { rows } = await this.pool.query<TenantRow>("SELECT * FROM tenants WHERE id > $1 ORDER BY id LIMIT $2", [
      page.after ?? "",
      page.limit + 1,
    ]);
    return toPage(rows.map(toTenant), page.limit);
  }

  async updateTenant(id: string, patch: TenantPatch, now: number, audit?: AuditNote<Tenant>): Promise<Tenant | null> {
    return inTransaction(this.pool, async (client) => {
      const before = await client.query<TenantRow>("SELECT * FROM tenants WHERE id = $1 FOR UPDATE", [id]);
      if (!before.rows[0]) return null;
      const { rows } = await client.query<TenantRow>(
        `UPDATE tenants SET name = COALESCE($2, name), metadata = COALESCE($3::jsonb, metadata), updated_at = $4
         WHERE id = $1 RETURNING *`,
        [id, patch.name ?? null, patch.metadata === undefined ? null : JSON.stringify(patch.metadata), now],
      );
      const after = toTenant(rows[0]!);
      if (audit) {
        await writeAudit(client, auditEntryFor(audit, { type: "tenant", id, tenantId: id }, toTenant(before.rows[0]), after));
      }
      return after;
    });
  }

  async deleteTenant(id: string, audit?: AuditNote<Tenant>): Promise<boolean> {
    return inTransaction(this.pool, async (client) => {
      const { rows } = await client.query<TenantRow>("DELETE FROM tenants WHERE id = $1 RETURNING *", [id]);
      if (!rows[0]) return false;
      if (audit) await writeAudit(client, auditEntryFor(audit, { type: "tenant", id, tenantId: id }, toTenant(rows[0]), null));
      return true;
    });
  }

  async insertEndpoint(e: Endpoint, audit?: AuditNote<Endpoint>): Promise<void> {
    await inTransaction(this.pool, async (client) => {
      await client.query(
        `WITH ep AS (
           INSERT INTO endpoints (id, tenant_id, signature_scheme, ${ENDPOINT_COLUMNS}, created_at, updated_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)
           RETURNING id
         )
         INSERT INTO endpoint_state (endpoint_id, data, updated_at) SELECT id, $21, $19 FROM ep`,
        [
          e.id,
          e.tenantId,
          e.signatureScheme,
          ...endpointValues(e),
          e.createdAt,
          e.updatedAt,
          serializeEndpointState(initialEndpointState()),
        ],
      );
      if (audit) {
        await writeAudit(client, auditEntryFor(audit, { type: "endpoint", id: e.id, tenantId: e.tenantId }, null, e));
      }
    });
  }

  async getEndpoint(tenantId: string, id: string): Promise<Endpoint | null> {
    const { rows } = await this.pool.query<EndpointRow>("SELECT * FROM endpoints WHERE tenant_id = $1 AND id = $2", [
      tenantId,
      id,
    ]);
    return rows[0] ? toEndpoint(rows[0]) : null;
  }

  async listEndpoints(tenantId: string, page: PageRequest): Promise<Page<Endpoint>> {
    const { rows } = await this.pool.query<EndpointRow>(
      "SELECT * FROM endpoints WHERE tenant_id = $1 AND id > $2 ORDER BY id LIMIT $3",
      [tenantId, page.after ?? "", page.limit + 1],
    );
    return toPage(rows.map(toEndpoint), page.limit);
  }

  async updateEndpoint(
    tenantId: string,
    id: string,
    patch: EndpointPatch,
    now: number,
    audit?: AuditNote<Endpoint>,
  ): Promise<Endpoint | null> {
    return inTransaction(this.pool, async (client) => {
      const { rows } = await client.query<EndpointRow>(
        "SELECT * FROM endpoints WHERE tenant_id = $1 AND id = $2 FOR UPDATE",
        [tenantId, id],
      );
      if (!rows[0]) return null;
      const before = toEndpoint(rows[0]);
      const next: Endpoint = { ...before, ...patch, updatedAt: now };
      await client.query(
        `UPDATE endpoints SET (${ENDPOINT_COLUMNS}, updated_at) = ($3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14,
           $15, $16, $17, $18) WHERE tenant_id = $1 AND id = $2`,
        [tenantId, id, ...endpointValues(next), now],
      );
      if (next.disabled !== rows[0].disabled) {
        const type = next.disabled ? "endpoint.disabled" : "endpoint.enabled";
        const data = next.disabled ? { reason: next.disabledReason } : {};
        await this.insertOperationalEvents(client, [newOperationalEvent(type, { tenantId, endpointId: id }, data, now)]);
      }
      if (audit) await writeAudit(client, auditEntryFor(audit, { type: "endpoint", id, tenantId }, before, next));
      return next;
    });
  }

  async deleteEndpoint(tenantId: string, id: string, audit?: AuditNote<Endpoint>): Promise<boolean> {
    return inTransaction(this.pool, async (client) => {
      const { rows } = await client.query<EndpointRow>(
        "DELETE FROM endpoints WHERE tenant_id = $1 AND id = $2 RETURNING *",
        [tenantId, id],
      );
      if (!rows[0]) return false;
      if (audit) {
        await writeAudit(client, auditEntryFor(audit, { type: "endpoint", id, tenantId }, toEndpoint(rows[0]), null));
      }
      return true;
    });
  }

  async rotateEndpointSecret(
    tenantId: string,
    id: string,
    rotation: SecretRotation,
    now: number,
    audit?: AuditNote<Endpoint>,
  ): Promise<Endpoint | null> {
    return inTransaction(this.pool, async (client) => {
      // The row lock orders concurrent rotations: each one moves the secret the previous one set.
      const { rows: before } = await client.query<EndpointRow>(
        "SELECT * FROM endpoints WHERE tenant_id = $1 AND id = $2 FOR UPDATE",
        [tenantId, id],
      );
      if (!before[0]) return null;
      const { rows } = await client.query<EndpointRow>(
        `UPDATE endpoints SET previous_secret = CASE WHEN $3::bigint IS NULL THEN NULL ELSE secret END,
           previous_secret_expires_at = $3, secret = $4, public_key = $5, updated_at = $6
         WHERE tenant_id = $1 AND id = $2 RETURNING *`,
        [tenantId, id, rotation.previousExpiresAt, rotation.sealedSecret, rotation.publicKey, now],
      );
      const after = toEndpoint(rows[0]!);
      if (audit) {
        await writeAudit(client, auditEntryFor(audit, { type: "endpoint", id, tenantId }, toEndpoint(before[0]), after));
      }
      return after;
    });
  }

  async listEndpointSecrets(after: string | null, limit: number): Promise<StoredEndpointSecrets[]> {
    const { rows } = await this.pool.query<SecretsRow>(
      "SELECT id, secret, previous_secret, previous_secret_expires_at FROM endpoints WHERE id > $1 ORDER BY id LIMIT $2",
      [after ?? "", limit],
    );
    return rows.map(toStoredSecrets);
  }

  async replaceEndpointSecrets(changes: EndpointSecretsChange[]): Promise<number> {
    if (changes.length === 0) return 0;
    const { rowCount } = await this.pool.query(
      `UPDATE endpoints e SET secret = c.secret, previous_secret = c.previous, previous_secret_expires_at = c.expires
       FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::text[], $6::text[])
         AS c (id, secret, previous, expires, expected_secret, expected_previous)
       WHERE e.id = c.id AND e.secret = c.expected_secret
         AND e.previous_secret IS NOT DISTINCT FROM c.expected_previous`,
      [
        changes.map((c) => c.expected.id),
        changes.map((c) => c.sealedSecret),
        changes.map((c) => c.previousSealedSecret),
        changes.map((c) => c.previousSecretExpiresAt),
        changes.map((c) => c.expected.sealedSecret),
        changes.map((c) => c.expected.previousSealedSecret),
      ],
    );
    return rowCount ?? 0;
  }

  insertEventType(t: EventType, audit?: AuditNote<EventType>): Promise<boolean> {
    return this.eventTypes.insert(t, audit);
  }

  getEventType(tenantId: string, name: string): Promise<EventType | null> {
    return this.eventTypes.get(tenantId, name);
  }

  listEventTypes(tenantId: string, includeArchived: boolean, page: PageRequest): Promise<Page<EventType>> {
    return this.eventTypes.list(tenantId, includeArchived, page);
  }

  listEventTypeSummaries(tenantId: string): Promise<EventTypeSummary[]> {
    return this.eventTypes.summaries(tenantId);
  }

  updateEventType(
    tenantId: string,
    name: string,
    patch: EventTypePatch,
    now: number,
    audit?: AuditNote<EventType>,
  ): Promise<EventType | null> {
    return this.eventTypes.update(tenantId, name, patch, now, audit);
  }

  deleteEventType(tenantId: string, name: string, audit?: AuditNote<EventType>): Promise<boolean> {
    return this.eventTypes.delete(tenantId, name, audit);
  }

  /**
   * Group commit for the common case. Requests with no Idempotency-Key and only hookd-generated event ids cannot
   * conflict with anything, so concurrent ones are merged: one transaction, one unnest() insert for all their events
   * and one for all their deliveries, instead of six round trips and a commit each. Up to MAX_GROUPS run at once;
   * whatever arrives meanwhile forms the next group. Every caller is answered after its group's COMMIT.
   * Other requests take the per-request path below.
   */
  async ingest(req: IngestRequest): Promise<IngestResult> {
    if (req.idempotency === null && req.target === undefined && req.events.every((e) => e.generatedId)) {
      return new Promise((resolve, reject) => {
        this.groupQueue.push({ req, resolve, reject });
        if (this.groupQueue.length === 1) setImmediate(() => this.pumpGroups());
      });
    }
    return this.ingestOne(req);
  }

  private static readonly MAX_GROUPS = 4;
  private static readonly MAX_GROUP_EVENTS = 5_000;
  private readonly groupQueue: {
    req: IngestRequest;
    resolve: (r: IngestResult) => void;
    reject: (e: unknown) => void;
  }[] = [];
  private groupsInFlight = 0;

  private pumpGroups(): void {
    while (this.groupsInFlight < PostgresStore.MAX_GROUPS && this.groupQueue.length > 0) {
      let events = 0;
      let take = 0;
      while (take < this.groupQueue.length && (take === 0 || events < PostgresStore.MAX_GROUP_EVENTS)) {
        events += this.groupQueue[take]?.req.events.length ?? 0;
        take++;
      }
      const group = this.groupQueue.splice(0, take);
      this.groupsInFlight++;
      retryEndpointRace(() => inTransaction(this.pool, (client) => this.ingestGroup(client, group.map((g) => g.req))))
        .then(
          (results) => group.forEach((g, i) => g.resolve(results[i] ?? { kind: "tenant_not_found" })),
          (err) => group.forEach((g) => g.reject(err)),
        )
        .finally(() => {
          this.groupsInFlight--;
          this.pumpGroups();
        });
    }
  }

  private async ingestGroup(client: pg.PoolClient, reqs: IngestRequest[]): Promise<IngestResult[]> {
    const tenantIds = [...new Set(reqs.map((r) => r.tenantId))];
    // KEY SHARE holds off a concurrent tenant delete until this commits, so no event is orphaned.
    const { rows: tenants } = await client.query<{ id: string }>(
      "SELECT id FROM tenants WHERE id = ANY($1::text[]) FOR KEY SHARE",
      [tenantIds],
    );
    const present = new Set(tenants.map((t) => t.id));
    const { rows: endpointRows } = await client.query<{ id: string; tenant_id: string; event_types: string[] }>(
      "SELECT id, tenant_id, event_types FROM endpoints WHERE tenant_id = ANY($1::text[]) AND NOT disabled",
      [[...present]],
    );
    const endpointsOf = new Map<string, { id: string; event_types: string[] }[]>();
    for (const ep of endpointRows) endpointsOf.set(ep.tenant_id, [...(endpointsOf.get(ep.tenant_id) ?? []), ep]);

    const ev = { tenants: [] as string[], ids: [] as string[], types: [] as string[], data: [] as string[], at: [] as number[] };
    const dlv = { ids: [] as string[], tenants: [] as string[], events: [] as string[], types: [] as string[], endpoints: [] as string[], at: [] as number[] };
    const results: IngestResult[] = reqs.map((req) => {
      if (!present.has(req.tenantId)) return { kind: "tenant_not_found" };
      const endpoints = endpointsOf.get(req.tenantId) ?? [];
      const out: IngestedEvent[] = req.events.map((e) => {
        ev.tenants.push(req.tenantId);
        ev.ids.push(e.id);
        ev.types.push(e.type);
        ev.data.push(e.dataJson);
        ev.at.push(e.createdAt);
        let matched = 0;
        for (const ep of endpoints) {
          if (!matchesEventType(ep.event_types, e.type)) continue;
          dlv.ids.push(newId("dlv"));
          dlv.tenants.push(req.tenantId);
          dlv.events.push(e.id);
          dlv.types.push(e.type);
          dlv.endpoints.push(ep.id);
          dlv.at.push(e.createdAt);
          matched++;
        }
        return { id: e.id, type: e.type, createdAt: e.createdAt, matchedEndpoints: matched };
      });
      return { kind: "created", events: out };
    });
    if (ev.ids.length > 0) {
      await client.query(
        `INSERT INTO events (tenant_id, id, type, data, created_at)
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[])`,
        [ev.tenants, ev.ids, ev.types, ev.data, ev.at],
      );
    }
    if (dlv.ids.length > 0) {
      await client.query(
        `INSERT INTO deliveries (id, tenant_id, event_id, event_type, endpoint_id, status, next_attempt_at, created_at,
           updated_at)
         SELECT d.id, d.tenant_id, d.event_id, d.event_type, d.endpoint_id, 'pending', d.at, d.at, d.at
         FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[])
           AS d (id, tenant_id, event_id, event_type, endpoint_id, at)`,
        [dlv.ids, dlv.tenants, dlv.events, dlv.types, dlv.endpoints, dlv.at],
      );
      await client.query("SELECT pg_notify($1, '')", [WORK_CHANNEL]);
    }
    return results;
  }

  private async ingestOne(req: IngestRequest): Promise<IngestResult> {
    for (let round = 0; ; round++) {
      try {
        return await retryEndpointRace(() => inTransaction(this.pool, (client) => this.ingestIn(client, req)));
      } catch (err) {
        if (err instanceof EventConflict) return { kind: "event_conflict", eventId: err.eventId };
        if (err instanceof IdempotencyRace && round < 3) continue;
        throw err;
      }
    }
  }

  private async ingestIn(client: pg.PoolClient, req: IngestRequest): Promise<IngestResult> {
    const tenant = await client.query("SELECT 1 FROM tenants WHERE id = $1 FOR KEY SHARE", [req.tenantId]);
    if (tenant.rowCount === 0) return { kind: "tenant_not_found" };
    const idem = req.idempotency;
    const now = req.events[0]?.createdAt ?? 0;
    if (idem) {
      const { rows } = await client.query<{ request_hash: string; response: string; created_at: number }>(
        "SELECT request_hash, response, created_at FROM idempotency_keys WHERE tenant_id = $1 AND key = $2",
        [req.tenantId, idem.key],
      );
      const seen = rows[0];
      if (seen && seen.created_at >= idem.notBefore) {
        if (seen.request_hash !== idem.requestHash) return { kind: "idempotency_mismatch" };
        return { kind: "replayed", responseJson: seen.response };
      }
      if (seen) await client.query("DELETE FROM idempotency_keys WHERE tenant_id = $1 AND key = $2", [req.tenantId, idem.key]);
      // Blocks while a concurrent request with this key is uncommitted; if it commits first we start over.
      const claimed = await client.query(
        `INSERT INTO idempotency_keys (tenant_id, key, request_hash, response, created_at) VALUES ($1, $2, $3, '', $4)
         ON CONFLICT DO NOTHING`,
        [req.tenantId, idem.key, idem.requestHash, now],
      );
      if (claimed.rowCount !== 1) throw new IdempotencyRace();
    }

    const target = req.target;
    if (target) {
      // FOR SHARE: a concurrent disable or delete waits for this commit instead of slipping in between.
      const { rows } = await client.query<{ disabled: boolean }>(
        "SELECT disabled FROM endpoints WHERE tenant_id = $1 AND id = $2 FOR SHARE",
        [req.tenantId, target.endpointId],
      );
      if (!rows[0]) return { kind: "target_not_found" };
      if (rows[0].disabled) return { kind: "target_disabled" };
    }
    const { rows: endpoints } = await client.query<{ id: string; event_types: string[] }>(
      "SELECT id, event_types FROM endpoints WHERE tenant_id = $1 AND NOT disabled",
      [req.tenantId],
    );
    const { rows: inserted } = await client.query<{ id: string }>(
      `INSERT INTO events (tenant_id, id, type, data, created_at)
       SELECT $1, * FROM unnest($2::text[], $3::text[], $4::text[], $5::bigint[])
       ON CONFLICT DO NOTHING RETURNING id`,
      [
        req.tenantId,
        req.events.map((e) => e.id),
        req.events.map((e) => e.type),
        req.events.map((e) => e.dataJson),
        req.events.map((e) => e.createdAt),
      ],
    );
    const fresh = new Set(inserted.map((r) => r.id));
    const dlv = { ids: [] as string[], events: [] as string[], types: [] as string[], endpoints: [] as string[], times: [] as number[] };
    const matched = new Map<string, number>();
    for (const ev of req.events) {
      if (!fresh.has(ev.id) || matched.has(ev.id)) continue;
      let n = 0;
      if (target) {
        dlv.ids.push(target.deliveryId);
        dlv.events.push(ev.id);
        dlv.types.push(ev.type);
        dlv.endpoints.push(target.endpointId);
        dlv.times.push(ev.createdAt);
        n = 1;
      }
      for (const ep of target ? [] : endpoints) {
        if (!matchesEventType(ep.event_types, ev.type)) continue;
        dlv.ids.push(newId("dlv"));
        dlv.events.push(ev.id);
        dlv.types.push(ev.type);
        dlv.endpoints.push(ep.id);
        dlv.times.push(ev.createdAt);
        n++;
      }
      matched.set(ev.id, n);
    }
    if (dlv.ids.length > 0) {
      await client.query(
        `INSERT INTO deliveries (id, tenant_id, event_id, event_type, endpoint_id, status, next_attempt_at, created_at,
           updated_at)
         SELECT d.id, $1, d.event_id, d.event_type, d.endpoint_id, 'pending', d.at, d.at, d.at
         FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[])
           AS d (id, event_id, event_type, endpoint_id, at)
         ON CONFLICT DO NOTHING`,
        [req.tenantId, dlv.ids, dlv.events, dlv.types, dlv.endpoints, dlv.times],
      );
    }
    const out: IngestedEvent[] = [];
    for (const ev of req.events) {
      const n = fresh.has(ev.id) ? matched.get(ev.id) : undefined;
      out.push(n !== undefined ? { id: ev.id, type: ev.type, createdAt: ev.createdAt, matchedEndpoints: n } : await this.existingEvent(client, req.tenantId, ev));
    }
    if (idem) {
      await client.query("UPDATE idempotency_keys SET response = $3 WHERE tenant_id = $1 AND key = $2", [
        req.tenantId,
        idem.key,
        req.renderResponse(out),
      ]);
    }
    if (dlv.ids.length > 0) await client.query("SELECT pg_notify($1, '')", [WORK_CHANNEL]);
    return { kind: "created", events: out };
  }

  /** A caller-chosen id seen before: the same content is an idempotent repeat, other content a conflict. */
  private async existingEvent(
    client: pg.PoolClient,
    tenantId: string,
    ev: { id: string; type: string; dataJson: string },
  ): Promise<IngestedEvent> {
    const { rows } = await client.query<EventRow & { n: number }>(
      `SELECT e.*, (SELECT count(*) FROM deliveries d WHERE d.tenant_id = e.tenant_id AND d.event_id = e.id) AS n
       FROM events e WHERE e.tenant_id = $1 AND e.id = $2`,
      [tenantId, ev.id],
    );
    const row = rows[0];
    if (!row || row.type !== ev.type || row.data !== ev.dataJson) throw new EventConflict(ev.id);
    return { id: row.id, type: row.type, createdAt: row.created_at, matchedEndpoints: row.n };
  }

  async getEvent(tenantId: string, id: string): Promise<StoredEvent | null> {
    const { rows } = await this.pool.query<EventRow>("SELECT * FROM events WHERE tenant_id = $1 AND id = $2", [
      tenantId,
      id,
    ]);
    return rows[0] ? toEvent(rows[0]) : null;
  }

  async listDeliveries(tenantId: string, filter: DeliveryFilter, page: PageRequest): Promise<Page<Delivery>> {
    const { text, values } = deliverySearchSql(tenantId, filter, page);
    const { rows } = await this.pool.query<DeliveryRow>(text, values);
    return toPage(rows.map(toDelivery), page.limit);
  }

  async getDelivery(tenantId: string, id: string): Promise<Delivery | null> {
    const { rows } = await this.pool.query<DeliveryRow>("SELECT * FROM deliveries WHERE tenant_id = $1 AND id = $2", [
      tenantId,
      id,
    ]);
    return rows[0] ? toDelivery(rows[0]) : null;
  }

  async listAttempts(deliveryId: string): Promise<Attempt[]> {
    const { rows } = await this.pool.query<AttemptRow>(
      "SELECT * FROM attempts WHERE delivery_id = $1 ORDER BY attempt",
      [deliveryId],
    );
    return rows.map(toAttempt);
  }

  async replayDelivery(tenantId: string, id: string, now: number): Promise<ReplayResult> {
    return inTransaction(this.pool, async (client) => {
      const { rows } = await client.query<{
        status: string;
        lease_token: string | null;
        locked_until: number | null;
        payload_expunged_at: number | null;
      }>(
        `SELECT d.status, d.lease_token, d.locked_until, e.payload_expunged_at FROM deliveries d
         JOIN events e ON e.tenant_id = d.tenant_id AND e.id = d.event_id
         WHERE d.tenant_id = $1 AND d.id = $2 FOR UPDATE OF d`,
        [tenantId, id],
      );
      const row = rows[0];
      if (!row) return "not_found";
      if (row.payload_expunged_at !== null) return "payload_expunged";
      if (row.lease_token !== null && (row.locked_until ?? 0) > now) return "in_flight";
      if (row.status === "pending") return "already_pending";
      await client.query(
        `UPDATE deliveries SET status = 'pending', next_attempt_at = $2, cycle_attempts = 0, lease_token = NULL,
           locked_until = NULL, updated_at = $2 WHERE id = $1`,
        [id, now],
      );
      await client.query("SELECT pg_notify($1, '')", [WORK_CHANNEL]);
      return "replayed";
    });
  }

  async replayEndpoint(
    tenantId: string,
    endpointId: string,
    status: "dead" | "failed",
    since: number | null,
    now: number,
  ): Promise<number> {
    return inTransaction(this.pool, async (client) => {
      const { rowCount } = await client.query(
        `UPDATE deliveries SET status = 'pending', next_attempt_at = $5, cycle_attempts = 0, updated_at = $5
         WHERE tenant_id = $1 AND endpoint_id = $2 AND status = $3 AND created_at >= $4
           AND (locked_until IS NULL OR locked_until <= $5)
           AND NOT EXISTS (SELECT 1 FROM events e WHERE e.tenant_id = deliveries.tenant_id
             AND e.id = deliveries.event_id AND e.payload_expunged_at IS NOT NULL)`,
        [tenantId, endpointId, status, since ?? 0, now],
      );
      if (rowCount) await client.query("SELECT pg_notify($1, '')", [WORK_CHANNEL]);
      return rowCount ?? 0;
    });
  }

  insertTask(task: Task): Promise<boolean> {
    return this.tasks.insert(task);
  }

  getTask(tenantId: string, id: string): Promise<Task | null> {
    return this.tasks.get(tenantId, id);
  }

  listTasks(tenantId: string, page: PageRequest): Promise<Page<Task>> {
    return this.tasks.list(tenantId, page);
  }

  claimTask(claim: TaskClaim): Promise<Task | null> {
    return this.tasks.claim(claim);
  }

  runRecoverBatch(request: RecoverBatchRequest): Promise<RecoverBatchResult> {
    return this.tasks.runRecoverBatch(request);
  }

  releaseTask(id: string, leaseToken: string, now: number): Promise<void> {
    return this.tasks.release(id, leaseToken, now);
  }

  /** Where the next claim's walk over endpoints starts: the round robin's position (per process; see claimDue). */
  private claimCursor = "";

  /**
   * The fair claim (see the contract and docs/architecture.md), in one transaction of three statements:
   *  1. walk: a recursive skip scan over deliveries_due_by_endpoint visits up to visitLimit endpoints that have
   *     pending or failed deliveries, starting after the cursor and wrapping around, and locks their endpoint_state
   *     rows FOR UPDATE SKIP LOCKED: an endpoint another worker is claiming for right now is skipped this round.
   *  2. the isolation policy (in JS, under those locks) decides each endpoint's quota; one statement then counts each
   *     endpoint's leased deliveries (a fresh snapshot, taken after the locks, so no other claimer's commit is
   *     missed), caps the quota at max_in_flight minus that, takes that many due rows per endpoint from the same
   *     index (first attempts and retries alternating, FOR UPDATE SKIP LOCKED), interleaves the endpoints round
   *     robin up to the limit, leases them and returns them joined with event and endpoint.
   *  3. states the policy changed (rate tokens spent, a probe sent) are written back, only when there are any.
   * Every step is index seeks bounded by the endpoints visited and the rows taken: the backlog's size never enters.
   */
  async claimDue(req: ClaimRequest): Promise<ClaimedDelivery[]> {
    // Every endpoint the walk found may be locked by another claim or by a recorder folding attempts (both hold the
    // lock for a few milliseconds). Coming back empty-handed would send the worker to sleep for its poll interval
    // although work is due, so a claim that only met locks tries again after a short pause.
    for (let round = 0; ; round++) {
      const { claimed, contended } = await this.claimOnce(req);
      if (claimed.length > 0 || !contended || round >= CLAIM_LOCK_RETRIES) return claimed;
      await new Promise((r) => setTimeout(r, 2 ** round));
    }
  }

  private async claimOnce(req: ClaimRequest): Promise<{ claimed: ClaimedDelivery[]; contended: boolean }> {
    const isolation = req.isolation ?? NO_ISOLATION;
    const visit = visitLimit(req.limit);
    return inTransaction(this.pool, async (client) => {
      const { rows: walkRows } = await client.query<WalkRow>({
        name: "hookd_claim_walk",
        text: WALK_SQL,
        values: [this.claimCursor, visit],
      });
      const candidates = walkRows.filter((c) => c.endpoint_id !== null);
      const contended = (walkRows[0]?.walked ?? 0) > candidates.length;
      if (candidates.length === 0) return { claimed: [], contended };
      const walked = candidates.map((c) => c.endpoint_id);
      this.claimCursor = candidates.length >= visit ? (walked.at(-1) ?? "") : (walked[0] ?? "");
      const share = shareOf(req.limit, candidates.length);
      const admissions: Admission[] = candidates.map((c) => {
        const candidate = {
          endpointId: c.endpoint_id,
          maxInFlight: c.max_in_flight,
          rateLimitPerS: c.rate_limit_per_s,
          timeoutMs: c.timeout_ms,
          state: parseEndpointState(c.data),
        };
        // A disabled endpoint's deliveries are only moved to dead, with no request: no rule applies.
        return c.disabled
          ? NO_ISOLATION.admit(candidate, req.now, 0)
          : isolation.admit(candidate, req.now, c.timeout_ms + req.leaseMarginMs);
      });
      const quotas = admissions.map((a) => Math.max(0, Math.min(a.quota, share, req.limit)));
      const { rows } = quotas.some((q) => q > 0)
        ? await client.query<ClaimRow>({
            name: "hookd_claim_take",
            text: CLAIM_SQL,
            values: [walked, quotas, walked.map((_, i) => i), req.now, req.limit, req.leaseToken, req.leaseMarginMs],
          })
        : { rows: [] as ClaimRow[] };
      const claimed = new Map<string, number>();
      for (const r of rows) claimed.set(r.endpoint_id, (claimed.get(r.endpoint_id) ?? 0) + 1);
      const changedIds: string[] = [];
      const changedData: string[] = [];
      admissions.forEach((a, i) => {
        const id = walked[i] ?? "";
        const next = a.settle(claimed.get(id) ?? 0);
        if (next) {
          changedIds.push(id);
          changedData.push(serializeEndpointState(next));
        }
      });
      if (changedIds.length > 0) {
        await client.query(
          `UPDATE endpoint_state s SET data = u.data, updated_at = $3
           FROM unnest($1::text[], $2::text[]) AS u (id, data) WHERE s.endpoint_id = u.id`,
          [changedIds, changedData, req.now],
        );
      }
      const timeoutOf = new Map(walked.map((id, i) => [id, admissions[i]?.timeoutMs ?? 0]));
      const deliveries = rows.map((r): ClaimedDelivery => ({
        id: r.id,
        tenantId: r.tenant_id,
        eventId: r.event_id,
        endpointId: r.endpoint_id,
        attempts: r.attempts,
        cycleAttempts: r.cycle_attempts,
        leaseToken: req.leaseToken,
        event: { type: r.type, dataJson: r.data, createdAt: r.event_created_at },
        endpoint: {
          url: r.url,
          signatureScheme: r.signature_scheme,
          sealedSecret: r.secret,
          previousSealedSecret: r.previous_secret,
          previousSecretExpiresAt: r.previous_secret_expires_at,
          headers: r.headers,
          timeoutMs: timeoutOf.get(r.endpoint_id) ?? r.timeout_ms,
          retryScheduleS: r.retry_schedule_s,
          disabled: r.disabled,
        },
      }));
      return { claimed: deliveries, contended };
      // Durable, unlike the SQLite claim: the database server can crash while the worker lives on. A lease lost in
      // that crash would make the worker's record miss its lease token, and the attempt it had made would go
      // unlogged (the delivery itself would still be retried).
    });
  }

  /**
   * The whole batch in one statement: update every delivery whose lease this worker still holds, and insert the
   * attempt rows of exactly those. A delivery whose lease was lost belongs to another worker now; its record wins.
   */
  async recordAttempts(records: AttemptRecord[], isolation?: IsolationPolicy): Promise<void> {
    if (records.length === 0) return;
    // The hot path without isolation (first-attempt successes, scheduled retries) is one statement without a
    // transaction. A batch that may disable an endpoint, produce an operational event or change endpoint state runs
    // in one, so those land with their attempt.
    const observing = isolation !== undefined && records.some((r) => r.attempt);
    if (!observing && !records.some(mayProduceOperationalEvents)) {
      await this.recordIn(this.pool, records);
      return;
    }
    if (isolation) this.lastIsolation = isolation;
    const carried = isolation ? this.deferred.takeAll() : new Map();
    let unfolded: RecordsByEndpoint;
    try {
      unfolded = await inTransaction(this.pool, async (client) => {
        const applied = await this.recordWithSideEffects(client, records);
        if (!isolation) return new Map();
        // A copy: if this transaction rolls back, `carried` goes back as it was, without this batch's records
        // (the batcher retries the batch itself, which would add them a second time).
        const groups: RecordsByEndpoint = new Map([...carried].map(([id, g]) => [id, { ...g, records: [...g.records] }]));
        for (const r of records) {
          const at = applied.get(r.deliveryId);
          if (at) appendRecords(groups, at.endpoint_id, at.tenant_id, [r], r.now);
        }
        return this.observeEndpoints(client, groups, isolation, false);
      });
    } catch (err) {
      this.deferred.restore(carried, Date.now());
      throw err;
    }
    this.deferred.restore(unfolded, Date.now());
  }

  /**
   * Folds attempts into each endpoint's shared state under its row lock, and disables an endpoint whose attempts have
   * failed for too long. Locks are taken in endpoint id order, so two recorders never deadlock. An endpoint whose
   * state a claim holds right now is skipped (SKIP LOCKED) and its records are returned, to be folded with the next
   * batch (deferred-observations.ts), unless `wait` is set or it has waited too often already.
   */
  private async observeEndpoints(
    client: pg.PoolClient,
    groups: RecordsByEndpoint,
    isolation: IsolationPolicy,
    wait: boolean,
  ): Promise<RecordsByEndpoint> {
    const unfolded: RecordsByEndpoint = new Map();
    if (groups.size === 0) return unfolded;
    const ids = [...groups.keys()].sort();
    const { rows } = await client.query<{ endpoint_id: string; data: string }>({
      name: "hookd_fold_lock",
      text: "SELECT endpoint_id, data FROM endpoint_state WHERE endpoint_id = ANY($1::text[]) ORDER BY endpoint_id FOR UPDATE SKIP LOCKED",
      values: [ids],
    });
    const locked = new Set(rows.map((r) => r.endpoint_id));
    const mustWait = ids.filter((id) => {
      if (locked.has(id)) return false;
      const records = groups.get(id)?.records ?? [];
      // Only successes may wait for a later batch: a failure can open the breaker and a 429 pauses the endpoint,
      // and both must hold for the very next claim.
      return wait || records.length >= this.deferred.forceAfter || records.some((r) => !isPlainSuccess(r));
    });
    if (mustWait.length > 0) {
      const waited = await client.query<{ endpoint_id: string; data: string }>(
        "SELECT endpoint_id, data FROM endpoint_state WHERE endpoint_id = ANY($1::text[]) ORDER BY endpoint_id FOR UPDATE",
        [mustWait],
      );
      rows.push(...waited.rows);
      for (const r of waited.rows) locked.add(r.endpoint_id);
    }
    for (const id of ids) {
      const g = groups.get(id);
      // Waiting for a state lock, or (when even a waiting lock found no row) an endpoint deleted meanwhile.
      if (g && !locked.has(id) && !mustWait.includes(id)) unfolded.set(id, g);
    }
    const outIds: string[] = [];
    const outData: string[] = [];
    const ops: OperationalEvent[] = [];
    let now = 0;
    for (const row of rows) {
      const g = groups.get(row.endpoint_id);
      if (!g) continue;
      const at = Math.max(...g.records.map((r) => r.now));
      now = Math.max(now, at);
      const { state, disableReason } = isolation.observe(parseEndpointState(row.data), g.records, at);
      outIds.push(row.endpoint_id);
      outData.push(serializeEndpointState(state));
      if (!disableReason) continue;
      const subject = { tenantId: g.tenantId, endpointId: row.endpoint_id };
      // Auto-disable goes the way a 410 goes: the same update, the same `endpoint.disabled` operational event.
      if (await this.applyDisable(client, { ...subject, reason: disableReason }, at)) {
        ops.push(newOperationalEvent("endpoint.disabled", subject, { reason: disableReason }, at));
      }
    }
    if (ops.length > 0) await this.insertOperationalEvents(client, ops);
    if (outIds.length > 0) {
      await client.query({
        name: "hookd_fold_write",
        text: `UPDATE endpoint_state s SET data = u.data, updated_at = $3
               FROM unnest($1::text[], $2::text[]) AS u (id, data) WHERE s.endpoint_id = u.id`,
        values: [outIds, outData, now],
      });
    }
    return unfolded;
  }

  /** Folds what is still deferred, waiting for the locks (shutdown: nothing may stay behind in memory). */
  private async foldDeferred(): Promise<void> {
    const isolation = this.lastIsolation;
    if (!isolation || this.deferred.size === 0) return;
    const carried = this.deferred.takeAll();
    await inTransaction(this.pool, (client) => this.observeEndpoints(client, carried, isolation, true));
  }

  /**
   * The one place the delivery path disables an endpoint (410 Gone, or auto-disable); true when this flipped it (it
   * may have been disabled already).
   */
  private async applyDisable(
    db: pg.Pool | pg.PoolClient,
    d: NonNullable<AttemptRecord["disableEndpoint"]>,
    now: number,
  ): Promise<boolean> {
    const { rowCount } = await db.query(
      `UPDATE endpoints SET disabled = true, disabled_reason = $3, updated_at = $4
       WHERE tenant_id = $1 AND id = $2 AND NOT disabled`,
      [d.tenantId, d.endpointId, d.reason, now],
    );
    return rowCount === 1;
  }

  async getEndpointHealth(tenantId: string, endpointIds: string[], now: number): Promise<Map<string, EndpointHealthRecord>> {
    const out = new Map<string, EndpointHealthRecord>();
    if (endpointIds.length === 0) return out;
    const { rows } = await this.pool.query<{ endpoint_id: string; data: string; in_flight: number }>(
      `SELECT s.endpoint_id, s.data, (SELECT count(*) FROM deliveries d
           WHERE d.endpoint_id = s.endpoint_id AND d.lease_token IS NOT NULL AND d.locked_until > $3) AS in_flight
       FROM endpoint_state s JOIN endpoints ep ON ep.id = s.endpoint_id
       WHERE ep.tenant_id = $1 AND s.endpoint_id = ANY($2::text[])`,
      [tenantId, endpointIds, now],
    );
    for (const r of rows) out.set(r.endpoint_id, { state: parseEndpointState(r.data), inFlight: r.in_flight });
    return out;
  }

  async resetEndpointState(tenantId: string, endpointId: string, now: number): Promise<boolean> {
    const { rowCount } = await this.pool.query(
      `UPDATE endpoint_state SET data = $3, updated_at = $4
       WHERE endpoint_id = (SELECT id FROM endpoints WHERE tenant_id = $1 AND id = $2)`,
      [tenantId, endpointId, serializeEndpointState(initialEndpointState()), now],
    );
    return rowCount === 1;
  }

  /** Applies the records and their operational events; returns the applied deliveries by id. */
  private async recordWithSideEffects(
    client: pg.PoolClient,
    records: AttemptRecord[],
  ): Promise<Map<string, { tenant_id: string; event_id: string; endpoint_id: string; had_failure: boolean }>> {
    const applied = new Map((await this.recordIn(client, records)).map((row) => [row.id, row]));
    const ops: OperationalEvent[] = [];
    for (const r of records) {
      const row = applied.get(r.deliveryId);
      // A lost lease means another worker owns the delivery now; its record wins, side effects included.
      if (!row) continue;
      const disabledEndpoint = r.disableEndpoint ? await this.applyDisable(client, r.disableEndpoint, r.now) : false;
      const a: AppliedAttempt = {
        record: r,
        tenantId: row.tenant_id,
        eventId: row.event_id,
        endpointId: row.endpoint_id,
        hadFailure: row.had_failure,
        disabledEndpoint,
      };
      ops.push(...operationalEventsFor(a));
    }
    if (ops.length > 0) await this.insertOperationalEvents(client, ops);
    return applied;
  }

  /**
   * Applies the records whose lease holds and returns those deliveries with their state from before the update
   * (every part of one statement reads the same snapshot, so `prior` sees the rows as they were).
   */
  private async recordIn(
    db: pg.Pool | pg.PoolClient,
    records: AttemptRecord[],
  ): Promise<{ id: string; tenant_id: string; event_id: string; endpoint_id: string; had_failure: boolean }[]> {
    const col = <T>(f: (r: AttemptRecord) => T) => records.map(f);
    const a = <T>(f: (r: NonNullable<AttemptRecord["attempt"]>) => T) => records.map((r) => (r.attempt ? f(r.attempt) : null));
    // Named: prepared once per connection, so the hot path skips parsing and planning.
    const { rows } = await db.query({
      name: "hookd_record_attempts",
      text: `WITH input AS (
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::int[], $6::int[], $7::int[],
           $8::text[], $9::bigint[]) AS t (id, token, status, next_at, attempts, cycle, code, err, now)
       ), prior AS (
         SELECT d.id, d.tenant_id, d.event_id, d.endpoint_id, d.last_error IS NOT NULL AS had_failure
         FROM deliveries d JOIN input i ON d.id = i.id AND d.lease_token = i.token
       ), updated AS (
         UPDATE deliveries d SET status = i.status, next_attempt_at = i.next_at, attempts = i.attempts,
           cycle_attempts = i.cycle, last_status_code = i.code, last_error = i.err, updated_at = i.now,
           lease_token = NULL, locked_until = NULL
         FROM input i WHERE d.id = i.id AND d.lease_token = i.token
         RETURNING d.id
       ), inserted AS (
         INSERT INTO attempts (id, delivery_id, attempt, started_at, duration_ms, status_code, response_body, error,
           error_class, outcome, timeout_ms, request_url, request_headers, response_headers)
         SELECT a.* FROM unnest($10::text[], $1::text[], $11::int[], $12::bigint[], $13::int[], $14::int[], $15::text[],
             $16::text[], $17::text[], $18::text[], $19::int[], $20::text[], $21::jsonb[], $22::jsonb[])
           AS a (id, delivery_id, attempt, started_at, duration_ms, status_code, response_body, error, error_class,
             outcome, timeout_ms, request_url, request_headers, response_headers)
         WHERE a.id IS NOT NULL AND a.delivery_id IN (SELECT id FROM updated)
       ), ${attemptStatsCte(23)}
       SELECT p.* FROM prior p JOIN updated u ON u.id = p.id`,
      values: [
        col((r) => r.deliveryId),
        col((r) => r.leaseToken),
        col((r) => r.status),
        col((r) => r.nextAttemptAt),
        col((r) => r.attempts),
        col((r) => r.cycleAttempts),
        col((r) => r.lastStatusCode),
        col((r) => r.lastError),
        col((r) => r.now),
        a((x) => x.id),
        a((x) => x.attempt),
        a((x) => x.startedAt),
        a((x) => x.durationMs),
        a((x) => x.statusCode),
        a((x) => x.responseBody),
        a((x) => x.error),
        a((x) => x.errorClass),
        a((x) => x.outcome),
        a((x) => x.timeoutMs),
        a((x) => x.requestUrl ?? null),
        a((x) => (x.requestHeaders ? JSON.stringify(x.requestHeaders) : null)),
        a((x) => (x.responseHeaders ? JSON.stringify(x.responseHeaders) : null)),
        ...attemptStatsParams(records, this.statsShard),
      ],
    });
    return rows;
  }

  async recordOperationalEvent(event: OperationalEvent): Promise<void> {
    await inTransaction(this.pool, (client) => this.insertOperationalEvents(client, [event]));
  }

  async listOperationalEvents(filter: OperationalEventFilter, page: PageRequest): Promise<Page<OperationalEvent>> {
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (clause: string, value: unknown) => {
      params.push(value);
      where.push(clause.replace("?", `$${params.length}`));
    };
    if (filter.tenantId !== undefined) add("tenant_id = ?", filter.tenantId);
    if (filter.types && filter.types.length > 0) add("type = ANY(?::text[])", filter.types);
    if (page.after) add("id < ?", page.after);
    params.push(page.limit + 1);
    const clause = where.length > 0 ? `WHERE ${where.join(" AND ")}` : "";
    const { rows } = await this.pool.query<OperationalEventRow>(
      `SELECT * FROM operational_events ${clause} ORDER BY id DESC LIMIT $${params.length}`,
      params,
    );
    return toPage(rows.map(toOperationalEvent), page.limit);
  }

  /**
   * Writes operational events and forwards each to the operator tenant's matching enabled endpoints, as an event
   * with the operational event's id (so the webhook-id is stable) and one delivery per endpoint. Runs inside the
   * caller's transaction; the NOTIFY it sends is delivered at COMMIT.
   */
  private async insertOperationalEvents(client: pg.PoolClient, ops: OperationalEvent[]): Promise<void> {
    let sinks: { id: string; event_types: string[] }[] | null = null;
    let created = false;
    for (const op of ops) {
      await client.query(
        `INSERT INTO operational_events (id, type, tenant_id, endpoint_id, delivery_id, event_id, data, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8)`,
        operationalEventValues(op),
      );
      if (!forwardsToOperator(op)) continue;
      sinks ??= (
        await client.query<{ id: string; event_types: string[] }>(
          "SELECT id, event_types FROM endpoints WHERE tenant_id = $1 AND NOT disabled",
          [OPERATOR_TENANT_ID],
        )
      ).rows;
      const matching = sinks.filter((ep) => matchesEventType(ep.event_types, op.type));
      if (matching.length === 0) continue;
      await client.query("INSERT INTO events (tenant_id, id, type, data, created_at) VALUES ($1, $2, $3, $4, $5)", [
        OPERATOR_TENANT_ID,
        op.id,
        op.type,
        JSON.stringify(operationalEventToApi(op)),
        op.createdAt,
      ]);
      await client.query(
        `INSERT INTO deliveries (id, tenant_id, event_id, event_type, endpoint_id, status, next_attempt_at, created_at,
           updated_at)
         SELECT d.id, $1, $2, $6, d.endpoint_id, 'pending', $3, $3, $3
         FROM unnest($4::text[], $5::text[]) AS d (id, endpoint_id)`,
        [OPERATOR_TENANT_ID, op.id, op.createdAt, matching.map(() => newId("dlv")), matching.map((ep) => ep.id), op.type],
      );
      created = true;
    }
    if (created) await client.query("SELECT pg_notify($1, '')", [WORK_CHANNEL]);
  }

  async releaseLeases(ids: string[], leaseToken: string, now: number): Promise<void> {
    if (ids.length === 0) return;
    await this.pool.query(
      `UPDATE deliveries SET next_attempt_at = $3, lease_token = NULL, locked_until = NULL
       WHERE id = ANY($1::text[]) AND lease_token = $2`,
      [ids, leaseToken, now],
    );
  }

  async queueStats(now: number): Promise<QueueStats> {
    const { rows } = await this.pool.query<{
      due: number;
      scheduled: number;
      in_flight: number;
      oldest_due: number | null;
      dead: number;
      recent: number;
    }>(
      `SELECT
         count(*) FILTER (WHERE next_attempt_at <= $1) AS due,
         count(*) FILTER (WHERE next_attempt_at > $1 AND coalesce(locked_until, 0) <= $1) AS scheduled,
         count(*) FILTER (WHERE locked_until > $1) AS in_flight,
         min(next_attempt_at) FILTER (WHERE next_attempt_at <= $1) AS oldest_due,
         (SELECT count(*) FROM deliveries WHERE status = 'dead') AS dead,
         (SELECT count(*) FROM attempts WHERE started_at > $1 - 60000) AS recent
       FROM deliveries WHERE status IN ('pending', 'failed')`,
      [now],
    );
    const r = rows[0]!;
    return {
      due: r.due,
      scheduled: r.scheduled,
      inFlight: r.in_flight,
      oldestDueAt: r.oldest_due,
      dead: r.dead,
      attemptsLastMinute: r.recent,
    };
  }

  async attemptStats(tenantId: string, endpointId: string | null, from: number, to: number): Promise<AttemptStatsTotals> {
    const { text, values } = attemptStatsSql(tenantId, endpointId, from, to);
    const { rows } = await this.pool.query<Record<string, number>>(text, values);
    return toTotals(rows[0] ?? {});
  }

  async deliveryBacklog(tenantId: string, endpointId: string | null): Promise<DeliveryBacklog> {
    const { text, values } = deliveryBacklogSql(tenantId, endpointId);
    const { rows } = await this.pool.query<{ pending: number; failed: number }>(text, values);
    return { pending: rows[0]?.pending ?? 0, failed: rows[0]?.failed ?? 0 };
  }

  async countEndpointsByBreaker(): Promise<Record<BreakerState, number>> {
    const { rows } = await this.pool.query<{ state: string; count: number }>(BREAKER_COUNTS_SQL);
    return breakerCounts(rows);
  }

  async deleteAttemptStatsBefore(before: number, limit: number): Promise<number> {
    const { rowCount } = await this.pool.query(DELETE_STATS_SQL, [before, limit]);
    return rowCount ?? 0;
  }

  async deleteFinishedTasksBefore(before: number, limit: number): Promise<number> {
    const { rowCount } = await this.pool.query(
      `DELETE FROM tasks WHERE id IN (
         SELECT id FROM tasks WHERE status IN ('succeeded', 'failed') AND finished_at < $1 ORDER BY finished_at LIMIT $2)`,
      [before, limit],
    );
    return rowCount ?? 0;
  }

  async expungeEventPayload(tenantId: string, eventId: string, now: number): Promise<boolean> {
    return inTransaction(this.pool, async (client) => {
      const { rowCount } = await client.query(
        `UPDATE events SET data = '', payload_expunged_at = coalesce(payload_expunged_at, $3)
         WHERE tenant_id = $1 AND id = $2`,
        [tenantId, eventId, now],
      );
      if (rowCount === 0) return false;
      // Leased ones too: the lease is dropped, so the in-flight worker's record is refused as a lost lease.
      await client.query(
        `UPDATE deliveries SET status = 'dead', next_attempt_at = NULL, lease_token = NULL, locked_until = NULL,
           last_error = 'payload expunged', updated_at = $3
         WHERE tenant_id = $1 AND event_id = $2 AND status IN ('pending', 'failed')`,
        [tenantId, eventId, now],
      );
      return true;
    });
  }

  async expungePayloadsBefore(before: number, limit: number, now: number): Promise<number> {
    const { rowCount } = await this.pool.query(
      `UPDATE events SET data = '', payload_expunged_at = $3
       WHERE (tenant_id, id) IN (
         SELECT e.tenant_id, e.id FROM events e
         WHERE e.created_at < $1 AND e.payload_expunged_at IS NULL
           AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.tenant_id = e.tenant_id AND d.event_id = e.id
             AND d.status IN ('pending', 'failed'))
         ORDER BY e.created_at LIMIT $2 FOR UPDATE SKIP LOCKED)`,
      [before, limit, now],
    );
    return rowCount ?? 0;
  }

  async deleteAttemptsBefore(before: number, limit: number): Promise<number> {
    const { rowCount } = await this.pool.query(
      `DELETE FROM attempts WHERE id IN (
         SELECT id FROM attempts WHERE started_at < $1 ORDER BY started_at LIMIT $2 FOR UPDATE SKIP LOCKED)`,
      [before, limit],
    );
    return rowCount ?? 0;
  }

  async deleteIdempotencyKeysBefore(before: number, limit: number): Promise<number> {
    const { rowCount } = await this.pool.query(
      `DELETE FROM idempotency_keys WHERE (tenant_id, key) IN (
         SELECT tenant_id, key FROM idempotency_keys WHERE created_at < $1 ORDER BY created_at LIMIT $2
         FOR UPDATE SKIP LOCKED)`,
      [before, limit],
    );
    return rowCount ?? 0;
  }

  async clearResponseBodies(
    from: number,
    before: number,
    limit: number,
  ): Promise<{ scanned: number; lastStartedAt: number | null }> {
    const { rows } = await this.pool.query<{ started_at: number }>(
      `WITH batch AS (
         SELECT id, started_at FROM attempts WHERE started_at >= $1 AND started_at < $2
         ORDER BY started_at LIMIT $3 FOR UPDATE SKIP LOCKED
       ), cleared AS (
         UPDATE attempts a SET response_body = NULL FROM batch b WHERE a.id = b.id AND a.response_body IS NOT NULL
       )
       SELECT started_at FROM batch ORDER BY started_at`,
      [from, before, limit],
    );
    return { scanned: rows.length, lastStartedAt: rows.at(-1)?.started_at ?? null };
  }

  subscribeWork(onWork: () => void): () => void {
    if (!this.listener) {
      this.listener = new WorkListener(this.options.url, () => this.work.emit("work"), this.options.onError);
      this.listener.start();
    }
    this.work.on("work", onWork);
    return () => this.work.off("work", onWork);
  }
}

/** Stats rows per endpoint and minute: enough that a handful of worker processes rarely share one. */
const STATS_SHARDS = 16;

/** An attempt that succeeded and asks nothing of the endpoint's state beyond counting it. */
function isPlainSuccess(r: AttemptRecord): boolean {
  return r.attempt?.outcome === "success" && !r.endpointPauseMs && r.disableEndpoint === null;
}

/** How often a claim that found every due endpoint locked tries again (after 1, 2, 4 ... ms) before giving up. */
const CLAIM_LOCK_RETRIES = 4;

interface WalkRow {
  /** null on the one row the walk returns when it locked no endpoint. */
  endpoint_id: string;
  data: string;
  max_in_flight: number;
  rate_limit_per_s: number | null;
  timeout_ms: number;
  disabled: boolean;
  /** Endpoints with due work the walk visited, locked or not: more than the rows means some were skipped. */
  walked: number;
}

/**
 * The claim's walk. Params: $1 cursor (endpoint id the walk starts after), $2 most endpoints to visit.
 * Each recursion step is one seek on deliveries_due_by_endpoint for the next endpoint id with pending or failed
 * deliveries (a loose index scan); `wrap` continues from the start up to the cursor. The state rows are locked
 * SKIP LOCKED, so concurrent claimers share the endpoints out instead of waiting on each other.
 */
const WALK_SQL = `
WITH RECURSIVE fwd (eid, n) AS (
  SELECT (SELECT endpoint_id FROM deliveries WHERE status IN ('pending', 'failed') AND endpoint_id > $1
          ORDER BY endpoint_id LIMIT 1), 1
  UNION ALL
  SELECT (SELECT d.endpoint_id FROM deliveries d WHERE d.status IN ('pending', 'failed') AND d.endpoint_id > fwd.eid
          ORDER BY d.endpoint_id LIMIT 1), fwd.n + 1
  FROM fwd WHERE fwd.eid IS NOT NULL AND fwd.n < $2
), wrap (eid, n) AS (
  SELECT (SELECT endpoint_id FROM deliveries WHERE status IN ('pending', 'failed') AND endpoint_id <= $1
          ORDER BY endpoint_id LIMIT 1), $2 + 1
  UNION ALL
  SELECT (SELECT d.endpoint_id FROM deliveries d WHERE d.status IN ('pending', 'failed') AND d.endpoint_id > wrap.eid
            AND d.endpoint_id <= $1 ORDER BY d.endpoint_id LIMIT 1), wrap.n + 1
  FROM wrap WHERE wrap.eid IS NOT NULL AND wrap.n < 2 * $2
), walked AS (
  SELECT eid, n FROM (SELECT eid, n FROM fwd UNION ALL SELECT eid, n FROM wrap) w
  WHERE eid IS NOT NULL ORDER BY n LIMIT $2
), locked AS (
  SELECT w.n, s.endpoint_id, s.data, ep.max_in_flight, ep.rate_limit_per_s, ep.timeout_ms, ep.disabled
  FROM walked w JOIN endpoint_state s ON s.endpoint_id = w.eid JOIN endpoints ep ON ep.id = s.endpoint_id
  FOR UPDATE OF s SKIP LOCKED
)
SELECT l.endpoint_id, l.data, l.max_in_flight, l.rate_limit_per_s, l.timeout_ms, l.disabled,
  (SELECT count(*) FROM walked)::int AS walked
FROM (SELECT 1) one LEFT JOIN locked l ON true
ORDER BY l.n`;

/**
 * The claim proper. Params: $1 endpoint ids, $2 their quotas, $3 their walk positions, $4 now, $5 limit,
 * $6 lease token, $7 lease margin. Runs after WALK_SQL in the same transaction (see claimDue).
 */
const CLAIM_SQL = `
WITH q AS (
  SELECT * FROM unnest($1::text[], $2::int[], $3::int[]) AS q (endpoint_id, quota, pos)
), capped AS MATERIALIZED (
  SELECT q.endpoint_id, q.pos, ep.timeout_ms,
    least(q.quota, ep.max_in_flight - (SELECT count(*) FROM (SELECT 1 FROM deliveries l
      WHERE l.endpoint_id = q.endpoint_id AND l.lease_token IS NOT NULL AND l.locked_until > $4
      ORDER BY l.locked_until DESC LIMIT ep.max_in_flight) live))::int AS quota
  FROM q JOIN endpoints ep ON ep.id = q.endpoint_id
  WHERE q.quota > 0
), picked AS (
  SELECT c.endpoint_id, c.pos, c.timeout_ms, c.quota, p.id, p.rn, p.cls
  FROM capped c CROSS JOIN LATERAL (
    SELECT f.id, row_number() OVER (ORDER BY f.next_attempt_at) AS rn, 0 AS cls FROM (
      SELECT d.id, d.next_attempt_at FROM deliveries d
      WHERE d.endpoint_id = c.endpoint_id AND d.status IN ('pending', 'failed') AND d.status = 'pending'
        AND d.next_attempt_at <= $4
      ORDER BY d.next_attempt_at LIMIT c.quota FOR UPDATE SKIP LOCKED) f
    UNION ALL
    SELECT r.id, row_number() OVER (ORDER BY r.next_attempt_at) AS rn, 1 AS cls FROM (
      SELECT d.id, d.next_attempt_at FROM deliveries d
      WHERE d.endpoint_id = c.endpoint_id AND d.status IN ('pending', 'failed') AND d.status = 'failed'
        AND d.next_attempt_at <= $4
      ORDER BY d.next_attempt_at LIMIT c.quota FOR UPDATE SKIP LOCKED) r
  ) p
  WHERE c.quota > 0
), ranked AS (
  SELECT picked.*, row_number() OVER (PARTITION BY endpoint_id ORDER BY rn, cls) AS k FROM picked
), chosen AS (
  SELECT * FROM ranked WHERE k <= quota ORDER BY k, pos LIMIT $5
), claimed AS (
  UPDATE deliveries d SET lease_token = $6, locked_until = $4 + $7 + chosen.timeout_ms,
    next_attempt_at = $4 + $7 + chosen.timeout_ms
  FROM chosen WHERE d.id = chosen.id
  RETURNING d.id, d.tenant_id, d.event_id, d.endpoint_id, d.attempts, d.cycle_attempts, chosen.k, chosen.pos
)
SELECT c.*, e.type, e.data, e.created_at AS event_created_at,
  ep.url, ep.signature_scheme, ep.secret, ep.previous_secret, ep.previous_secret_expires_at, ep.headers, ep.timeout_ms,
  ep.retry_schedule_s, ep.disabled
FROM claimed c
JOIN events e ON e.tenant_id = c.tenant_id AND e.id = c.event_id
JOIN endpoints ep ON ep.id = c.endpoint_id
ORDER BY c.k, c.pos`;

/**
 * Ingest reads the tenant's endpoints without locking them (locking every endpoint row on every publish would cost
 * far more than this rare race): an endpoint deleted between that read and the deliveries insert fails the insert's
 * foreign key. The transaction has rolled back by then, so running it again reads the endpoints afresh.
 */
async function retryEndpointRace<T>(run: () => Promise<T>): Promise<T> {
  for (let round = 0; ; round++) {
    try {
      return await run();
    } catch (err) {
      const fkRace = (err as { code?: unknown }).code === "23503";
      if (!fkRace || round >= 2) throw err;
    }
  }
}
