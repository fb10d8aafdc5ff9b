/**
 * The embedded store: one SQLite file, one process. better-sqlite3 is synchronous, so every operation runs to
 * completion inside one transaction without interleaving; the async signatures only satisfy the shared contract.
 * Workers in the same process are woken through an in-process emitter right after a commit that created work.
 */
import { EventEmitter } from "node:events";
import type { Statement } from "better-sqlite3";
import { initialEndpointState, parseEndpointState, serializeEndpointState } from "../../domain/endpoint-state.ts";
import type { BreakerState } from "../../domain/endpoint-state.ts";
import type { AttemptStatsTotals } from "../../domain/attempt-stats.ts";
import { eventTypeCondition, matchesEventType } from "../../domain/event-type-match.ts";
import { newId } from "../../domain/ids.ts";
import {
  forwardsToOperator,
  newOperationalEvent,
  OPERATOR_TENANT_ID,
  type OperationalEvent,
  operationalEventToApi,
} from "../../domain/operational-events.ts";
import type { Attempt, Delivery, Endpoint, Page, StoredEvent, Tenant } from "../../domain/types.ts";
import { mayRecover, operationalEventsFor } from "../attempt-operational-events.ts";
import { breakerCounts, groupStats, toTotals } from "../attempt-stats-columns.ts";
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
  endpointParams,
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
import type { Task } from "../../domain/tasks.ts";
import { interleaveFair, NO_ISOLATION, shareOf, visitLimit } from "../fair-claim.ts";
import {
  backlogSql,
  BREAKER_COUNTS_SQL,
  DELETE_STATS_SQL,
  ENDPOINT_STATS_SQL,
  TENANT_STATS_SQL,
  UPSERT_STATS_SQL,
} from "./attempt-stats.ts";
import { migrateSqlite, openSqlite, type SqliteDatabase, sqlitePathFromUrl } from "./open-database.ts";
import { SqliteTasks } from "./task-queries.ts";
import { SqliteEventTypes } from "./event-types.ts";
import { SqliteConsole } from "./console.ts";
import { SqlitePortalSessions } from "./portal-sessions.ts";
import type { EventType, EventTypeSummary } from "../../domain/event-type.ts";
import type { EventTypePatch } from "../store.ts";

class EventConflict extends Error {
  constructor(readonly eventId: string) {
    super(`event ${eventId} exists with other content`);
  }
}

interface ClaimRow {
  id: string;
  tenant_id: string;
  event_id: string;
  endpoint_id: string;
  attempts: number;
  cycle_attempts: number;
}

/** Named parameters for an attempt row: the optional request and response details as JSON text or null. */
function attemptParams(a: Attempt): Record<string, unknown> {
  const jsonOrNull = (v: Record<string, string> | null | undefined) => (v ? JSON.stringify(v) : null);
  return {
    id: a.id,
    deliveryId: a.deliveryId,
    attempt: a.attempt,
    startedAt: a.startedAt,
    durationMs: a.durationMs,
    statusCode: a.statusCode,
    responseBody: a.responseBody,
    error: a.error,
    errorClass: a.errorClass,
    outcome: a.outcome,
    timeoutMs: a.timeoutMs,
    requestUrl: a.requestUrl ?? null,
    requestHeaders: jsonOrNull(a.requestHeaders),
    responseHeaders: jsonOrNull(a.responseHeaders),
  };
}

export class SqliteStore implements Store {
  readonly kind = "sqlite" as const;
  private readonly work = new EventEmitter();
  private readonly statements = new Map<string, Statement<unknown[]>>();
  private readonly tasks: SqliteTasks;

  private readonly eventTypes: SqliteEventTypes;
  readonly portalSessions: SqlitePortalSessions;
  readonly consoleStats: SqliteConsole;

  private constructor(private readonly db: SqliteDatabase) {
    this.work.setMaxListeners(0);
    this.tasks = new SqliteTasks(db, () => this.work.emit("work"));
    this.eventTypes = new SqliteEventTypes(db, (text) => this.sql(text), (entry) => this.audit(entry));
    this.portalSessions = new SqlitePortalSessions(db, (text) => this.sql(text));
    this.consoleStats = new SqliteConsole((text) => this.sql(text));
  }

  /** @example const store = SqliteStore.open("sqlite:./data/hookd.db") */
  static open(url: string): SqliteStore {
    return new SqliteStore(openSqlite(sqlitePathFromUrl(url)));
  }

  /** Statements are prepared once and reused; preparing is far costlier than running. */
  private sql(text: string): Statement<unknown[]> {
    let stmt = this.statements.get(text);
    if (!stmt) {
      stmt = this.db.prepare(text);
      this.statements.set(text, stmt);
    }
    return stmt;
  }

  async migrate(): Promise<void> {
    migrateSqlite(this.db);
  }

  async ping(): Promise<void> {
    this.sql("SELECT 1").get();
  }

  async close(): Promise<void> {
    this.work.removeAllListeners();
    if (this.db.open) this.db.close();
  }

  async countApiKeys(): Promise<number> {
    return (this.sql("SELECT count(*) AS n FROM api_keys").get() as { n: number }).n;
  }

  async putApiKey(key: ApiKeyRecord): Promise<void> {
    this.sql(
      `INSERT INTO api_keys (id, tenant_id, hash, created_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET hash = excluded.hash`,
    ).run(key.id, key.tenantId, key.hash, key.createdAt);
  }

  async findApiKeyByHash(hash: string): Promise<ApiKeyInfo | null> {
    const row = this.sql("SELECT * FROM api_keys WHERE hash = ?").get(hash) as ApiKeyRow | undefined;
    return row ? toApiKey(row) : null;
  }

  async insertApiKey(key: ApiKeyRecord, audit?: AuditNote<ApiKeyInfo>): Promise<void> {
    this.db.transaction(() => {
      this.sql("INSERT INTO api_keys (id, tenant_id, hash, created_at) VALUES (?, ?, ?, ?)").run(
        key.id,
        key.tenantId,
        key.hash,
        key.createdAt,
      );
      if (audit) {
        const after = { ...key, revokedAt: null, lastUsedAt: null };
        this.audit(auditEntryFor(audit, { type: "api_key", id: key.id, tenantId: key.tenantId }, null, after));
      }
    }).immediate();
  }

  async listApiKeys(tenantId: string, page: PageRequest): Promise<Page<ApiKeyInfo>> {
    const rows = this.sql("SELECT * FROM api_keys WHERE tenant_id = ? AND id > ? ORDER BY id LIMIT ?").all(
      tenantId,
      page.after ?? "",
      page.limit + 1,
    ) as ApiKeyRow[];
    return toPage(rows.map(toApiKey), page.limit);
  }

  async revokeApiKey(
    tenantId: string,
    id: string,
    now: number,
    audit?: AuditNote<ApiKeyInfo>,
  ): Promise<ApiKeyInfo | null> {
    return this.db.transaction(() => {
      const row = this.sql("SELECT * FROM api_keys WHERE tenant_id = ? AND id = ?").get(tenantId, id) as
        | ApiKeyRow
        | undefined;
      if (!row) return null;
      const before = toApiKey(row);
      if (before.revokedAt !== null) return before;
      this.sql("UPDATE api_keys SET revoked_at = ? WHERE id = ?").run(now, id);
      const after = { ...before, revokedAt: now };
      if (audit) this.audit(auditEntryFor(audit, { type: "api_key", id, tenantId }, before, after));
      return after;
    }).immediate();
  }

  async touchApiKey(id: string, now: number): Promise<void> {
    this.sql("UPDATE api_keys SET last_used_at = ? WHERE id = ?").run(now, id);
  }

  async insertAuditEntry(entry: AuditEntry): Promise<void> {
    this.audit(entry);
  }

  async listAuditLog(tenantId: string, since: number, page: PageRequest): Promise<Page<AuditEntry>> {
    const rows = page.after
      ? this.sql(
          "SELECT * FROM audit_log WHERE tenant_id = ? AND created_at >= ? AND id < ? ORDER BY id DESC LIMIT ?",
        ).all(tenantId, since, page.after, page.limit + 1)
      : this.sql("SELECT * FROM audit_log WHERE tenant_id = ? AND created_at >= ? ORDER BY id DESC LIMIT ?").all(
          tenantId,
          since,
          page.limit + 1,
        );
    return toPage((rows as AuditRow[]).map(toAuditEntry), page.limit);
  }

  private audit(entry: AuditEntry): void {
    this.sql(
      `INSERT INTO audit_log (id, tenant_id, actor_key_id, action, target_type, target_id, before, after, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(...auditParams(entry));
  }

  async insertTenant(t: Tenant, audit?: AuditNote<Tenant>): Promise<boolean> {
    return this.db.transaction(() => {
      const result = this.sql(
        `INSERT INTO tenants (id, name, metadata, created_at, updated_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (id) DO NOTHING`,
      ).run(t.id, t.name, JSON.stringify(t.metadata), t.createdAt, t.updatedAt);
      if (result.changes !== 1) return false;
      if (audit) this.audit(auditEntryFor(audit, { type: "tenant", id: t.id, tenantId: t.id }, null, t));
      return true;
    }).immediate();
  }

  async getTenant(id: string): Promise<Tenant | null> {
    const row = this.sql("SELECT * FROM tenants WHERE id = ?").get(id) as TenantRow | undefined;
    return row ? toTenant(row) : null;
  }

  async listTenants(page: PageRequest): Promise<Page<Tenant>> {
    const rows = this.sql("SELECT * FROM tenants WHERE id > ? ORDER BY id LIMIT ?").all(
      page.after ?? "",
      page.limit + 1,
    ) as TenantRow[];
    return toPage(rows.map(toTenant), page.limit);
  }

  async updateTenant(id: string, patch: TenantPatch, now: number, audit?: AuditNote<Tenant>): Promise<Tenant | null> {
    return this.db.transaction(() => {
      const row = this.sql("SELECT * FROM tenants WHERE id = ?").get(id) as TenantRow | undefined;
      if (!row) return null;
      const before = toTenant(row);
      const next = { ...before, ...patch, updatedAt: now };
      if (audit) this.audit(auditEntryFor(audit, { type: "tenant", id, tenantId: id }, before, next));
      this.sql("UPDATE tenants SET name = ?, metadata = ?, updated_at = ? WHERE id = ?").run(
        next.name,
        JSON.stringify(next.metadata),
        now,
        id,
      );
      return next;
    }).immediate();
  }

  async deleteTenant(id: string, audit?: AuditNote<Tenant>): Promise<boolean> {
    return this.db.transaction(() => {
      const row = this.sql("SELECT * FROM tenants WHERE id = ?").get(id) as TenantRow | undefined;
      if (!row) return false;
      this.sql("DELETE FROM tenants WHERE id = ?").run(id);
      if (audit) this.audit(auditEntryFor(audit, { type: "tenant", id, tenantId: id }, toTenant(row), null));
      return true;
    }).immediate();
  }

  async insertEndpoint(e: Endpoint, audit?: AuditNote<Endpoint>): Promise<void> {
    this.db.transaction(() => {
      this.insertEndpointRow(e);
      if (audit) this.audit(auditEntryFor(audit, { type: "endpoint", id: e.id, tenantId: e.tenantId }, null, e));
    }).immediate();
  }

  /** The endpoint row and its isolation state row, always together. */
  private insertEndpointRow(e: Endpoint): void {
    this.sql(
      `INSERT INTO endpoints (id, tenant_id, url, description, event_types, secret, signature_scheme, previous_secret,
         previous_secret_expires_at, public_key, headers, timeout_ms, max_in_flight, rate_limit_per_s, retry_schedule_s,
         disabled, disabled_reason, metadata, created_at, updated_at)
       VALUES (@id, @tenant_id, @url, @description, @event_types, @secret, @signature_scheme, @previous_secret,
         @previous_secret_expires_at, @public_key, @headers, @timeout_ms, @max_in_flight, @rate_limit_per_s,
         @retry_schedule_s, @disabled, @disabled_reason, @metadata, @created_at, @updated_at)`,
    ).run(endpointParams(e));
    this.sql("INSERT INTO endpoint_state (endpoint_id, data, updated_at) VALUES (?, ?, ?)").run(
      e.id,
      serializeEndpointState(initialEndpointState()),
      e.createdAt,
    );
  }

  async getEndpoint(tenantId: string, id: string): Promise<Endpoint | null> {
    const row = this.sql("SELECT * FROM endpoints WHERE tenant_id = ? AND id = ?").get(tenantId, id) as
      | EndpointRow
      | undefined;
    return row ? toEndpoint(row) : null;
  }

  async listEndpoints(tenantId: string, page: PageRequest): Promise<Page<Endpoint>> {
    const rows = this.sql("SELECT * FROM endpoints WHERE tenant_id = ? AND id > ? ORDER BY id LIMIT ?").all(
      tenantId,
      page.after ?? "",
      page.limit + 1,
    ) as EndpointRow[];
    return toPage(rows.map(toEndpoint), page.limit);
  }

  async updateEndpoint(
    tenantId: string,
    id: string,
    patch: EndpointPatch,
    now: number,
    audit?: AuditNote<Endpoint>,
  ): Promise<Endpoint | null> {
    let work = false;
    const updated = this.db.transaction(() => {
      const row = this.sql("SELECT * FROM endpoints WHERE tenant_id = ? AND id = ?").get(tenantId, id) as
        | EndpointRow
        | undefined;
      if (!row) return null;
      const before = toEndpoint(row);
      const next: Endpoint = { ...before, ...patch, updatedAt: now };
      if (audit) this.audit(auditEntryFor(audit, { type: "endpoint", id, tenantId }, before, next));
      this.sql(
        `UPDATE endpoints SET url = @url, description = @description, event_types = @event_types, secret = @secret,
           previous_secret = @previous_secret, previous_secret_expires_at = @previous_secret_expires_at,
           public_key = @public_key, headers = @headers, timeout_ms = @timeout_ms, max_in_flight = @max_in_flight,
           rate_limit_per_s = @rate_limit_per_s, retry_schedule_s = @retry_schedule_s, disabled = @disabled,
           disabled_reason = @disabled_reason, metadata = @metadata, updated_at = @updated_at
         WHERE id = @id AND tenant_id = @tenant_id`,
      ).run(endpointParams(next));
      const wasDisabled = row.disabled === 1;
      if (next.disabled !== wasDisabled) {
        const type = next.disabled ? "endpoint.disabled" : "endpoint.enabled";
        const data = next.disabled ? { reason: next.disabledReason } : {};
        work = this.insertOperationalEvents([newOperationalEvent(type, { tenantId, endpointId: id }, data, now)]);
      }
      return next;
    }).immediate();
    if (work) this.work.emit("work");
    return updated;
  }

  async deleteEndpoint(tenantId: string, id: string, audit?: AuditNote<Endpoint>): Promise<boolean> {
    return this.db.transaction(() => {
      const row = this.sql("SELECT * FROM endpoints WHERE tenant_id = ? AND id = ?").get(tenantId, id) as
        | EndpointRow
        | undefined;
      if (!row) return false;
      this.sql("DELETE FROM endpoints WHERE tenant_id = ? AND id = ?").run(tenantId, id);
      if (audit) this.audit(auditEntryFor(audit, { type: "endpoint", id, tenantId }, toEndpoint(row), null));
      return true;
    }).immediate();
  }

  async rotateEndpointSecret(
    tenantId: string,
    id: string,
    rotation: SecretRotation,
    now: number,
    audit?: AuditNote<Endpoint>,
  ): Promise<Endpoint | null> {
    return this.db.transaction(() => {
      const before = this.sql("SELECT * FROM endpoints WHERE tenant_id = ? AND id = ?").get(tenantId, id) as
        | EndpointRow
        | undefined;
      if (!before) return null;
      const row = this.sql(
        `UPDATE endpoints SET previous_secret = CASE WHEN @expires IS NULL THEN NULL ELSE secret END,
           previous_secret_expires_at = @expires, secret = @secret, public_key = @public_key, updated_at = @now
         WHERE tenant_id = @tenant_id AND id = @id RETURNING *`,
      ).get({
        expires: rotation.previousExpiresAt,
        secret: rotation.sealedSecret,
        public_key: rotation.publicKey,
        now,
        tenant_id: tenantId,
        id,
      }) as EndpointRow;
      const after = toEndpoint(row);
      if (audit) this.audit(auditEntryFor(audit, { type: "endpoint", id, tenantId }, toEndpoint(before), after));
      return after;
    }).immediate();
  }

  async listEndpointSecrets(after: string | null, limit: number): Promise<StoredEndpointSecrets[]> {
    const rows = this.sql(
      "SELECT id, secret, previous_secret, previous_secret_expires_at FROM endpoints WHERE id > ? ORDER BY id LIMIT ?",
    ).all(after ?? "", limit) as SecretsRow[];
    return rows.map(toStoredSecrets);
  }

  async replaceEndpointSecrets(changes: EndpointSecretsChange[]): Promise<number> {
    const update = this.sql(
      `UPDATE endpoints SET secret = @secret, previous_secret = @previous, previous_secret_expires_at = @expires
       WHERE id = @id AND secret = @expected_secret AND previous_secret IS @expected_previous`,
    );
    return this.db.transaction(() => {
      let applied = 0;
      for (const c of changes) {
        applied += update.run({
          secret: c.sealedSecret,
          previous: c.previousSealedSecret,
          expires: c.previousSecretExpiresAt,
          id: c.expected.id,
          expected_secret: c.expected.sealedSecret,
          expected_previous: c.expected.previousSealedSecret,
        }).changes;
      }
      return applied;
    }).immediate();
  }

  async insertEventType(t: EventType, audit?: AuditNote<EventType>): Promise<boolean> {
    return this.eventTypes.insert(t, audit);
  }

  async getEventType(tenantId: string, name: string): Promise<EventType | null> {
    return this.eventTypes.get(tenantId, name);
  }

  async listEventTypes(tenantId: string, includeArchived: boolean, page: PageRequest): Promise<Page<EventType>> {
    return this.eventTypes.list(tenantId, includeArchived, page);
  }

  async listEventTypeSummaries(tenantId: string): Promise<EventTypeSummary[]> {
    return this.eventTypes.summaries(tenantId);
  }

  async updateEventType(
    tenantId: string,
    name: string,
    patch: EventTypePatch,
    now: number,
    audit?: AuditNote<EventType>,
  ): Promise<EventType | null> {
    return this.eventTypes.update(tenantId, name, patch, now, audit);
  }

  async deleteEventType(tenantId: string, name: string, audit?: AuditNote<EventType>): Promise<boolean> {
    return this.eventTypes.delete(tenantId, name, audit);
  }

  /**
   * Group commit. Every commit is an fsync (synchronous=FULL), and one per request caps single-event ingest at the
   * disk's flush rate. Requests arriving in the same tick are written in one transaction instead, each inside its
   * own savepoint so that one request's conflict rolls back only its own writes. Every caller is answered only after
   * the shared COMMIT returns, so a 202 still means "durably written"; if the commit fails, every request in the group
   * fails with it.
   */
  async ingest(req: IngestRequest): Promise<IngestResult> {
    return new Promise((resolve, reject) => {
      this.ingestQueue.push({ req, resolve, reject });
      if (this.ingestQueue.length === 1) setImmediate(() => this.flushIngests());
    });
  }

  private readonly ingestQueue: {
    req: IngestRequest;
    resolve: (r: IngestResult) => void;
    reject: (e: unknown) => void;
  }[] = [];

  private flushIngests(): void {
    const group = this.ingestQueue.splice(0);
    const outcomes: ({ ok: IngestResult } | { err: unknown })[] = [];
    let created = 0;
    try {
      this.db
        .transaction(() => {
          for (const { req } of group) {
            try {
              const counter = { created: 0 };
              outcomes.push({ ok: this.ingestInSavepoint(req, counter) });
              created += counter.created;
            } catch (err) {
              // SQLITE_FULL, SQLITE_IOERR and kin roll the whole transaction back, not just this savepoint: the
              // group is lost, so fail every request in it rather than run the rest outside any transaction.
              if (!this.db.inTransaction) throw err;
              outcomes.push(err instanceof EventConflict ? { ok: { kind: "event_conflict", eventId: err.eventId } } : { err });
            }
          }
        })
        .immediate();
    } catch (err) {
      for (const item of group) item.reject(err);
      return;
    }
    if (created > 0) this.work.emit("work");
    group.forEach((item, i) => {
      const outcome = outcomes[i];
      if (outcome && "ok" in outcome) item.resolve(outcome.ok);
      else item.reject(outcome?.err);
    });
  }

  /** One request's writes; a nested better-sqlite3 transaction is a SAVEPOINT, rolled back alone on a throw. */
  private ingestInSavepoint(req: IngestRequest, counter: { created: number }): IngestResult {
    let created = 0;
    const run = this.db.transaction((): IngestResult => {
      if (!this.sql("SELECT 1 FROM tenants WHERE id = ?").get(req.tenantId)) return { kind: "tenant_not_found" };
      const idem = req.idempotency;
      if (idem) {
        const seen = this.sql(
          "SELECT request_hash, response, created_at FROM idempotency_keys WHERE tenant_id = ? AND key = ?",
        ).get(req.tenantId, idem.key) as { request_hash: string; response: string; created_at: number } | undefined;
        if (seen && seen.created_at >= idem.notBefore) {
          if (seen.request_hash !== idem.requestHash) return { kind: "idempotency_mismatch" };
          return { kind: "replayed", responseJson: seen.response };
        }
        if (seen) this.sql("DELETE FROM idempotency_keys WHERE tenant_id = ? AND key = ?").run(req.tenantId, idem.key);
      }
      const target = req.target;
      if (target) {
        const ep = this.sql("SELECT disabled FROM endpoints WHERE tenant_id = ? AND id = ?").get(
          req.tenantId,
          target.endpointId,
        ) as { disabled: number } | undefined;
        if (!ep) return { kind: "target_not_found" };
        if (ep.disabled) return { kind: "target_disabled" };
      }
      const endpoints = (
        this.sql("SELECT id, event_types FROM endpoints WHERE tenant_id = ? AND disabled = 0").all(req.tenantId) as {
          id: string;
          event_types: string;
        }[]
      ).map((e) => ({ id: e.id, eventTypes: JSON.parse(e.event_types) as string[] }));
      const insertEvent = this.sql(
        "INSERT INTO events (tenant_id, id, type, data, created_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
      );
      const insertDelivery = this.sql(
        `INSERT INTO deliveries (id, tenant_id, event_id, event_type, endpoint_id, status, next_attempt_at, created_at,
           updated_at)
         VALUES (?, ?, ?, ?, ?, 'pending', ?, ?, ?) ON CONFLICT DO NOTHING`,
      );
      const out: IngestedEvent[] = [];
      for (const ev of req.events) {
        if (insertEvent.run(req.tenantId, ev.id, ev.type, ev.dataJson, ev.createdAt).changes === 0) {
          out.push(this.existingEvent(req.tenantId, ev));
          continue;
        }
        let matched = 0;
        if (target) {
          insertDelivery.run(target.deliveryId, req.tenantId, ev.id, ev.type, target.endpointId, ev.createdAt, ev.createdAt, ev.createdAt);
          matched = 1;
        }
        for (const ep of target ? [] : endpoints) {
          if (!matchesEventType(ep.eventTypes, ev.type)) continue;
          insertDelivery.run(newId("dlv"), req.tenantId, ev.id, ev.type, ep.id, ev.createdAt, ev.createdAt, ev.createdAt);
          matched++;
        }
        created += matched;
        out.push({ id: ev.id, type: ev.type, createdAt: ev.createdAt, matchedEndpoints: matched });
      }
      if (idem) {
        this.sql(
          "INSERT INTO idempotency_keys (tenant_id, key, request_hash, response, created_at) VALUES (?, ?, ?, ?, ?)",
        ).run(req.tenantId, idem.key, idem.requestHash, req.renderResponse(out), req.events[0]?.createdAt ?? 0);
      }
      return { kind: "created", events: out };
    });
    const result = run();
    counter.created = created;
    return result;
  }

  /** A caller-chosen id seen before: the same content is an idempotent repeat, other content a conflict. */
  private existingEvent(tenantId: string, ev: { id: string; type: string; dataJson: string }): IngestedEvent {
    const row = this.sql("SELECT * FROM events WHERE tenant_id = ? AND id = ?").get(tenantId, ev.id) as EventRow;
    if (row.type !== ev.type || row.data !== ev.dataJson) throw new EventConflict(ev.id);
    const { n } = this.sql("SELECT count(*) AS n FROM deliveries WHERE tenant_id = ? AND event_id = ?").get(
      tenantId,
      ev.id,
    ) as { n: number };
    return { id: row.id, type: row.type, createdAt: row.created_at, matchedEndpoints: n };
  }

  async getEvent(tenantId: string, id: string): Promise<StoredEvent | null> {
    const row = this.sql("SELECT * FROM events WHERE tenant_id = ? AND id = ?").get(tenantId, id) as
      | EventRow
      | undefined;
    return row ? toEvent(row) : null;
  }

  async listDeliveries(tenantId: string, filter: DeliveryFilter, page: PageRequest): Promise<Page<Delivery>> {
    const where = ["tenant_id = ?"];
    const params: unknown[] = [tenantId];
    const add = (clause: string, ...values: unknown[]) => {
      where.push(clause);
      params.push(...values);
    };
    if (filter.endpointId) add("endpoint_id = ?", filter.endpointId);
    if (filter.eventId) add("event_id = ?", filter.eventId);
    if (filter.eventType !== undefined) {
      const c = eventTypeCondition(filter.eventType);
      if (c.kind === "exact") add("event_type = ?", c.type);
      if (c.kind === "range") add("event_type >= ? AND event_type < ?", c.from, c.to);
    }
    if (filter.statuses && filter.statuses.length > 0) {
      add(`status IN (${filter.statuses.map(() => "?").join(", ")})`, ...filter.statuses);
    }
    if (filter.since !== undefined) add("created_at >= ?", filter.since);
    if (filter.until !== undefined) add("created_at < ?", filter.until);
    if (filter.minAttempts !== undefined) add("attempts >= ?", filter.minAttempts);
    if (page.after) add("id < ?", page.after);
    params.push(page.limit + 1);
    const rows = this.sql(`SELECT * FROM deliveries WHERE ${where.join(" AND ")} ORDER BY id DESC LIMIT ?`).all(
      ...params,
    ) as DeliveryRow[];
    return toPage(rows.map(toDelivery), page.limit);
  }

  async getDelivery(tenantId: string, id: string): Promise<Delivery | null> {
    const row = this.sql("SELECT * FROM deliveries WHERE tenant_id = ? AND id = ?").get(tenantId, id) as
      | DeliveryRow
      | undefined;
    return row ? toDelivery(row) : null;
  }

  async listAttempts(deliveryId: string): Promise<Attempt[]> {
    const rows = this.sql("SELECT * FROM attempts WHERE delivery_id = ? ORDER BY attempt").all(
      deliveryId,
    ) as AttemptRow[];
    return rows.map(toAttempt);
  }

  async replayDelivery(tenantId: string, id: string, now: number): Promise<ReplayResult> {
    const result = this.db.transaction((): ReplayResult => {
      const row = this.sql(
        `SELECT d.status, d.lease_token, d.locked_until, e.payload_expunged_at FROM deliveries d
         JOIN events e ON e.tenant_id = d.tenant_id AND e.id = d.event_id WHERE d.tenant_id = ? AND d.id = ?`,
      ).get(tenantId, id) as
        | { status: string; lease_token: string | null; locked_until: number | null; payload_expunged_at: number | null }
        | undefined;
      if (!row) return "not_found";
      if (row.payload_expunged_at !== null) return "payload_expunged";
      if (row.lease_token !== null && (row.locked_until ?? 0) > now) return "in_flight";
      if (row.status === "pending") return "already_pending";
      this.sql(
        `UPDATE deliveries SET status = 'pending', next_attempt_at = ?, cycle_attempts = 0, lease_token = NULL,
           locked_until = NULL, updated_at = ? WHERE id = ?`,
      ).run(now, now, id);
      return "replayed";
    }).immediate();
    if (result === "replayed") this.work.emit("work");
    return result;
  }

  async replayEndpoint(
    tenantId: string,
    endpointId: string,
    status: "dead" | "failed",
    since: number | null,
    now: number,
  ): Promise<number> {
    const { changes } = this.sql(
      `UPDATE deliveries SET status = 'pending', next_attempt_at = @now, cycle_attempts = 0, updated_at = @now
       WHERE tenant_id = @tenantId AND endpoint_id = @endpointId AND status = @status AND created_at >= @since
         AND (locked_until IS NULL OR locked_until <= @now)
         AND NOT EXISTS (SELECT 1 FROM events e WHERE e.tenant_id = deliveries.tenant_id AND e.id = deliveries.event_id
           AND e.payload_expunged_at IS NOT NULL)`,
    ).run({ tenantId, endpointId, status, since: since ?? 0, now });
    if (changes > 0) this.work.emit("work");
    return changes;
  }

  async insertTask(task: Task): Promise<boolean> {
    return this.tasks.insert(task);
  }

  async getTask(tenantId: string, id: string): Promise<Task | null> {
    return this.tasks.get(tenantId, id);
  }

  async listTasks(tenantId: string, page: PageRequest): Promise<Page<Task>> {
    return this.tasks.list(tenantId, page);
  }

  async claimTask(claim: TaskClaim): Promise<Task | null> {
    return this.tasks.claim(claim);
  }

  async runRecoverBatch(request: RecoverBatchRequest): Promise<RecoverBatchResult> {
    return this.tasks.runRecoverBatch(request);
  }

  async releaseTask(id: string, leaseToken: string, now: number): Promise<void> {
    this.tasks.release(id, leaseToken, now);
  }

  /** Where the next claim's walk over endpoints starts: the round robin's position (per process; see claimDue). */
  private claimCursor = "";

  /**
   * The fair claim (see the contract and docs/architecture.md). SQLite runs it as one immediate transaction, so the
   * in-flight counts it reads cannot change underneath it. Every statement is an index seek: the walk jumps from one
   * endpoint with pending or failed deliveries to the next on deliveries_due_by_endpoint, and each endpoint's due
   * rows come off the same index in next_attempt_at order, so the cost follows endpoints visited and rows taken,
   * never the backlog.
   */
  async claimDue(req: ClaimRequest): Promise<ClaimedDelivery[]> {
    // A claim only writes leases, and a lease lost to a power cut is harmless: the deliveries are simply due again
    // and attempted again, which at-least-once allows. So the claim commits without waiting for the WAL's fsync (the
    // next ordinary commit syncs its frames too, in order); ingests and attempt records keep synchronous = FULL.
    this.sql("PRAGMA synchronous = NORMAL").run();
    try {
      return this.claimInTransaction(req);
    } finally {
      this.sql("PRAGMA synchronous = FULL").run();
    }
  }

  private claimInTransaction(req: ClaimRequest): ClaimedDelivery[] {
    const isolation = req.isolation ?? NO_ISOLATION;
    return this.db.transaction(() => {
      const walked = this.walkEndpoints(visitLimit(req.limit));
      if (walked.length === 0) return [];
      this.claimCursor = walked.length >= visitLimit(req.limit) ? (walked.at(-1) ?? "") : (walked[0] ?? "");
      const stateStmt = this.sql(
        `SELECT s.data, ep.tenant_id, ep.max_in_flight, ep.rate_limit_per_s, ep.timeout_ms, ep.disabled
         FROM endpoint_state s JOIN endpoints ep ON ep.id = s.endpoint_id WHERE s.endpoint_id = ?`,
      );
      const leasedStmt = this.sql(
        `SELECT count(*) AS n FROM deliveries INDEXED BY deliveries_leased
         WHERE endpoint_id = ? AND lease_token IS NOT NULL AND locked_until > ?`,
      );
      const dueStmt = this.sql(
        `SELECT id FROM deliveries INDEXED BY deliveries_due_by_endpoint
         WHERE endpoint_id = ? AND status IN ('pending', 'failed') AND status = ? AND next_attempt_at <= ?
         ORDER BY next_attempt_at LIMIT ?`,
      );
      const share = shareOf(req.limit, walked.length);
      const perEndpoint: { endpointId: string; ids: string[]; timeoutMs: number; configuredTimeoutMs: number; settle: Admission["settle"] }[] = [];
      for (const endpointId of walked) {
        const row = stateStmt.get(endpointId) as
          | { data: string; tenant_id: string; max_in_flight: number; rate_limit_per_s: number | null; timeout_ms: number; disabled: number }
          | undefined;
        if (!row) continue;
        const candidate = {
          endpointId,
          maxInFlight: row.max_in_flight,
          rateLimitPerS: row.rate_limit_per_s,
          timeoutMs: row.timeout_ms,
          state: parseEndpointState(row.data),
        };
        // A disabled endpoint's deliveries are only moved to dead, with no request: no limit applies.
        const admission =
          row.disabled === 1 ? NO_ISOLATION.admit(candidate, req.now, 0) : isolation.admit(candidate, req.now, row.timeout_ms + req.leaseMarginMs);
        const inFlight = row.disabled === 1 ? 0 : (leasedStmt.get(endpointId, req.now) as { n: number }).n;
        const quota = Math.min(admission.quota, row.max_in_flight - inFlight, share, req.limit);
        const ids =
          quota > 0
            ? interleaveFair(
                (dueStmt.all(endpointId, "pending", req.now, quota) as { id: string }[]).map((r) => r.id),
                (dueStmt.all(endpointId, "failed", req.now, quota) as { id: string }[]).map((r) => r.id),
                quota,
              )
            : [];
        perEndpoint.push({ endpointId, ids, timeoutMs: admission.timeoutMs, configuredTimeoutMs: row.timeout_ms, settle: admission.settle });
      }
      // Round robin across endpoints: every endpoint's first, then every endpoint's second, ... up to the limit.
      const chosen: { id: string; endpoint: number }[] = [];
      for (let k = 0; chosen.length < req.limit; k++) {
        let any = false;
        perEndpoint.forEach((e, i) => {
          const id = e.ids[k];
          if (id === undefined || chosen.length >= req.limit) return;
          any = true;
          chosen.push({ id, endpoint: i });
        });
        if (!any) break;
      }
      const claimedPer = new Map<number, number>();
      const lease = this.sql(
        `UPDATE deliveries SET lease_token = @token, locked_until = @until, next_attempt_at = @until WHERE id = @id
         RETURNING id, tenant_id, event_id, endpoint_id, attempts, cycle_attempts`,
      );
      const eventStmt = this.sql("SELECT type, data, created_at FROM events WHERE tenant_id = ? AND id = ?");
      const endpointStmt = this.sql("SELECT * FROM endpoints WHERE id = ?");
      const endpoints = new Map<string, ClaimedDelivery["endpoint"]>();
      const out: ClaimedDelivery[] = [];
      for (const c of chosen) {
        const e = perEndpoint[c.endpoint];
        if (!e) continue;
        // The lease covers the configured timeout, the ceiling of whatever timeout the attempt uses.
        const until = req.now + req.leaseMarginMs + e.configuredTimeoutMs;
        const r = lease.get({ token: req.leaseToken, until, id: c.id }) as ClaimRow;
        claimedPer.set(c.endpoint, (claimedPer.get(c.endpoint) ?? 0) + 1);
        let endpoint = endpoints.get(r.endpoint_id);
        if (!endpoint) {
          const ep = toEndpoint(endpointStmt.get(r.endpoint_id) as EndpointRow);
          endpoint = {
            url: ep.url,
            signatureScheme: ep.signatureScheme,
            sealedSecret: ep.sealedSecret,
            previousSealedSecret: ep.previousSealedSecret,
            previousSecretExpiresAt: ep.previousSecretExpiresAt,
            headers: ep.headers,
            timeoutMs: e.timeoutMs,
            retryScheduleS: ep.retryScheduleS,
            disabled: ep.disabled,
          };
          endpoints.set(r.endpoint_id, endpoint);
        }
        const ev = eventStmt.get(r.tenant_id, r.event_id) as { type: string; data: string; created_at: number };
        out.push({
          id: r.id,
          tenantId: r.tenant_id,
          eventId: r.event_id,
          endpointId: r.endpoint_id,
          attempts: r.attempts,
          cycleAttempts: r.cycle_attempts,
          leaseToken: req.leaseToken,
          event: { type: ev.type, dataJson: ev.data, createdAt: ev.created_at },
          endpoint,
        });
      }
      const writeState = this.sql("UPDATE endpoint_state SET data = ?, updated_at = ? WHERE endpoint_id = ?");
      perEndpoint.forEach((e, i) => {
        const next = e.settle(claimedPer.get(i) ?? 0);
        if (next) writeState.run(serializeEndpointState(next), req.now, e.endpointId);
      });
      return out;
    }).immediate();
  }

  /**
   * Endpoints that have pending or failed deliveries, at most `max`, in id order starting after the cursor and
   * wrapping around: a skip scan, one index seek per endpoint, however many deliveries each has.
   */
  private walkEndpoints(max: number): string[] {
    const after = this.sql(
      `SELECT endpoint_id FROM deliveries INDEXED BY deliveries_due_by_endpoint
       WHERE status IN ('pending', 'failed') AND endpoint_id > ? ORDER BY endpoint_id LIMIT 1`,
    );
    const out: string[] = [];
    let at = this.claimCursor;
    while (out.length < max) {
      const row = after.get(at) as { endpoint_id: string } | undefined;
      if (!row) break;
      out.push(row.endpoint_id);
      at = row.endpoint_id;
    }
    at = "";
    while (out.length < max && this.claimCursor !== "") {
      const row = after.get(at) as { endpoint_id: string } | undefined;
      if (!row || row.endpoint_id > this.claimCursor) break;
      out.push(row.endpoint_id);
      at = row.endpoint_id;
    }
    return out;
  }

  async recordAttempts(records: AttemptRecord[], isolation?: IsolationPolicy): Promise<void> {
    const update = this.sql(
      `UPDATE deliveries SET status = @status, attempts = @attempts, cycle_attempts = @cycleAttempts,
         next_attempt_at = @nextAttemptAt, lease_token = NULL, locked_until = NULL, last_status_code = @lastStatusCode,
         last_error = @lastError, updated_at = @now
       WHERE id = @deliveryId AND lease_token = @leaseToken
       RETURNING tenant_id, event_id, endpoint_id`,
    );
    const prior = this.sql("SELECT last_error FROM deliveries WHERE id = ? AND lease_token = ?");
    const insertAttempt = this.sql(
      `INSERT INTO attempts (id, delivery_id, attempt, started_at, duration_ms, status_code, response_body, error,
         error_class, outcome, timeout_ms, request_url, request_headers, response_headers)
       VALUES (@id, @deliveryId, @attempt, @startedAt, @durationMs, @statusCode, @responseBody, @error,
         @errorClass, @outcome, @timeoutMs, @requestUrl, @requestHeaders, @responseHeaders)`,
    );
    let work = false;
    this.db.transaction(() => {
      const landed = new Map<string, { tenantId: string; records: AttemptRecord[] }>();
      for (const r of records) {
        const hadFailure =
          mayRecover(r) &&
          ((prior.get(r.deliveryId, r.leaseToken) as { last_error: string | null } | undefined)?.last_error ?? null) !==
            null;
        const row = update.get({
          status: r.status,
          attempts: r.attempts,
          cycleAttempts: r.cycleAttempts,
          nextAttemptAt: r.nextAttemptAt,
          lastStatusCode: r.lastStatusCode,
          lastError: r.lastError,
          now: r.now,
          deliveryId: r.deliveryId,
          leaseToken: r.leaseToken,
        }) as { tenant_id: string; event_id: string; endpoint_id: string } | undefined;
        // A lost lease means another worker owns the delivery now; its record wins.
        if (!row) continue;
        if (r.attempt) insertAttempt.run(attemptParams(r.attempt));
        const disabledEndpoint = r.disableEndpoint ? this.applyDisable(r.disableEndpoint, r.now) : false;
        const ops = operationalEventsFor({
          record: r,
          tenantId: row.tenant_id,
          eventId: row.event_id,
          endpointId: row.endpoint_id,
          hadFailure,
          disabledEndpoint,
        });
        if (ops.length > 0 && this.insertOperationalEvents(ops)) work = true;
        const group = landed.get(row.endpoint_id) ?? { tenantId: row.tenant_id, records: [] };
        group.records.push(r);
        landed.set(row.endpoint_id, group);
      }
      this.recordAttemptStats(landed);
      if (isolation && this.observeEndpoints(landed, isolation)) work = true;
    }).immediate();
    if (work) this.work.emit("work");
  }

  /** Adds the landed HTTP attempts to their endpoints' per-minute stats: one upsert per (endpoint, minute). */
  private recordAttemptStats(landed: Map<string, { tenantId: string; records: AttemptRecord[] }>): void {
    const cells = [...landed].flatMap(([endpointId, g]) =>
      g.records.flatMap((r) => (r.attempt ? [{ tenantId: g.tenantId, endpointId, attempt: r.attempt }] : [])),
    );
    if (cells.length === 0) return;
    const upsert = this.sql(UPSERT_STATS_SQL);
    for (const g of groupStats(cells)) upsert.run(g.tenantId, g.endpointId, g.minute, ...g.counts);
  }

  async recordOperationalEvent(event: OperationalEvent): Promise<void> {
    const work = this.db.transaction(() => this.insertOperationalEvents([event])).immediate();
    if (work) this.work.emit("work");
  }

  async listOperationalEvents(filter: OperationalEventFilter, page: PageRequest): Promise<Page<OperationalEvent>> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.tenantId !== undefined) {
      where.push("tenant_id = ?");
      params.push(filter.tenantId);
    }
    if (filter.types && filter.types.length > 0) {
      where.push(`type IN (${filter.types.map(() => "?").join(", ")})`);
      params.push(...filter.types);
    }
    if (page.after) {
      where.push("id < ?");
      params.push(page.after);
    }
    params.push(page.limit + 1);
    const clause = where.length > 0 ? `WHERE ${where.join(" AND ")}` : "";
    const rows = this.sql(`SELECT * FROM operational_events ${clause} ORDER BY id DESC LIMIT ?`).all(
      ...params,
    ) as OperationalEventRow[];
    return toPage(rows.map(toOperationalEvent), page.limit);
  }

  /**
   * Writes operational events and forwards each to the operator tenant's matching enabled endpoints, as an event
   * with the operational event's id (so the webhook-id is stable) and one delivery per endpoint. Must run inside the
   * caller's transaction; returns whether deliveries were created (the caller wakes the workers after COMMIT).
   */
  private insertOperationalEvents(ops: OperationalEvent[]): boolean {
    const insert = this.sql(
      `INSERT INTO operational_events (id, type, tenant_id, endpoint_id, delivery_id, event_id, data, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    let sinks: { id: string; eventTypes: string[] }[] | null = null;
    let created = false;
    for (const op of ops) {
      insert.run(...operationalEventValues(op));
      if (!forwardsToOperator(op)) continue;
      sinks ??= (
        this.sql("SELECT id, event_types FROM endpoints WHERE tenant_id = ? AND disabled = 0").all(
          OPERATOR_TENANT_ID,
        ) as { id: string; event_types: string }[]
      ).map((e) => ({ id: e.id, eventTypes: JSON.parse(e.event_types) as string[] }));
      const matching = sinks.filter((ep) => matchesEventType(ep.eventTypes, op.type));
      if (matching.length === 0) continue;
      this.sql("INSERT INTO events (tenant_id, id, type, data, created_at) VALUES (?, ?, ?, ?, ?)").run(
        OPERATOR_TENANT_ID,
        op.id,
        op.type,
        JSON.stringify(operationalEventToApi(op)),
        op.createdAt,
      );
      const insertDelivery = this.sql(
        `INSERT INTO deliveries (id, tenant_id, event_id, event_type, endpoint_id, status, next_attempt_at, created_at,
           updated_at)
         VALUES (?, ?, ?, ?, ?, 'pending', ?, ?, ?)`,
      );
      for (const ep of matching) {
        insertDelivery.run(newId("dlv"), OPERATOR_TENANT_ID, op.id, op.type, ep.id, op.createdAt, op.createdAt, op.createdAt);
      }
      created = true;
    }
    return created;
  }

  /**
   * Folds landed attempts into each endpoint's shared state; an endpoint failing for too long is disabled here, with
   * the same `endpoint.disabled` operational event a 410 records. Returns whether that created deliveries.
   */
  private observeEndpoints(
    landed: Map<string, { tenantId: string; records: AttemptRecord[] }>,
    isolation: IsolationPolicy,
  ): boolean {
    let work = false;
    const read = this.sql("SELECT data FROM endpoint_state WHERE endpoint_id = ?");
    const write = this.sql("UPDATE endpoint_state SET data = ?, updated_at = ? WHERE endpoint_id = ?");
    for (const [endpointId, group] of landed) {
      const row = read.get(endpointId) as { data: string } | undefined;
      if (!row) continue;
      const now = Math.max(...group.records.map((r) => r.now));
      const { state, disableReason } = isolation.observe(parseEndpointState(row.data), group.records, now);
      write.run(serializeEndpointState(state), now, endpointId);
      if (disableReason && this.applyDisable({ tenantId: group.tenantId, endpointId, reason: disableReason }, now)) {
        const event = newOperationalEvent(
          "endpoint.disabled",
          { tenantId: group.tenantId, endpointId },
          { reason: disableReason },
          now,
        );
        if (this.insertOperationalEvents([event])) work = true;
      }
    }
    return work;
  }

  /**
   * The one place the delivery path disables an endpoint (410 Gone, or auto-disable); true when this flipped it
   * (it may have been disabled already).
   */
  private applyDisable(d: NonNullable<AttemptRecord["disableEndpoint"]>, now: number): boolean {
    return (
      this.sql(
        "UPDATE endpoints SET disabled = 1, disabled_reason = ?, updated_at = ? WHERE tenant_id = ? AND id = ? AND disabled = 0",
      ).run(d.reason, now, d.tenantId, d.endpointId).changes === 1
    );
  }

  async getEndpointHealth(tenantId: string, endpointIds: string[], now: number): Promise<Map<string, EndpointHealthRecord>> {
    const out = new Map<string, EndpointHealthRecord>();
    const read = this.sql(
      `SELECT s.data, (SELECT count(*) FROM deliveries d INDEXED BY deliveries_leased
           WHERE d.endpoint_id = s.endpoint_id AND d.lease_token IS NOT NULL AND d.locked_until > ?) AS in_flight
       FROM endpoint_state s JOIN endpoints ep ON ep.id = s.endpoint_id
       WHERE ep.tenant_id = ? AND s.endpoint_id = ?`,
    );
    for (const id of endpointIds) {
      const row = read.get(now, tenantId, id) as { data: string; in_flight: number } | undefined;
      if (row) out.set(id, { state: parseEndpointState(row.data), inFlight: row.in_flight });
    }
    return out;
  }

  async resetEndpointState(tenantId: string, endpointId: string, now: number): Promise<boolean> {
    const { changes } = this.sql(
      `UPDATE endpoint_state SET data = ?, updated_at = ?
       WHERE endpoint_id = (SELECT id FROM endpoints WHERE tenant_id = ? AND id = ?)`,
    ).run(serializeEndpointState(initialEndpointState()), now, tenantId, endpointId);
    return changes === 1;
  }

  async releaseLeases(ids: string[], leaseToken: string, now: number): Promise<void> {
    const release = this.sql(
      `UPDATE deliveries SET next_attempt_at = ?, lease_token = NULL, locked_until = NULL
       WHERE id = ? AND lease_token = ?`,
    );
    this.db.transaction(() => {
      for (const id of ids) release.run(now, id, leaseToken);
    }).immediate();
  }

  async queueStats(now: number): Promise<QueueStats> {
    const q = this.sql(
      `SELECT
         coalesce(sum(CASE WHEN next_attempt_at <= @now THEN 1 ELSE 0 END), 0) AS due,
         coalesce(sum(CASE WHEN next_attempt_at > @now AND coalesce(locked_until, 0) <= @now THEN 1 ELSE 0 END), 0)
           AS scheduled,
         coalesce(sum(CASE WHEN locked_until > @now THEN 1 ELSE 0 END), 0) AS in_flight,
         min(CASE WHEN next_attempt_at <= @now THEN next_attempt_at END) AS oldest_due
       FROM deliveries WHERE status IN ('pending', 'failed')`,
    ).get({ now }) as { due: number; scheduled: number; in_flight: number; oldest_due: number | null };
    const dead = this.sql("SELECT count(*) AS n FROM deliveries WHERE status = 'dead'").get() as { n: number };
    const recent = this.sql("SELECT count(*) AS n FROM attempts WHERE started_at > ?").get(now - 60_000) as {
      n: number;
    };
    return {
      due: q.due,
      scheduled: q.scheduled,
      inFlight: q.in_flight,
      oldestDueAt: q.oldest_due,
      dead: dead.n,
      attemptsLastMinute: recent.n,
    };
  }

  async attemptStats(tenantId: string, endpointId: string | null, from: number, to: number): Promise<AttemptStatsTotals> {
    const row =
      endpointId === null
        ? this.sql(TENANT_STATS_SQL).get(tenantId, from, to)
        : this.sql(ENDPOINT_STATS_SQL).get(endpointId, from, to, tenantId);
    return toTotals((row ?? {}) as Record<string, number>);
  }

  async deliveryBacklog(tenantId: string, endpointId: string | null): Promise<DeliveryBacklog> {
    const row =
      endpointId === null
        ? this.sql(backlogSql("tenant_id")).get(tenantId)
        : this.sql(backlogSql("endpoint_id")).get(endpointId);
    return row as DeliveryBacklog;
  }

  async countEndpointsByBreaker(): Promise<Record<BreakerState, number>> {
    return breakerCounts(this.sql(BREAKER_COUNTS_SQL).all() as { state: string; count: number }[]);
  }

  async deleteAttemptStatsBefore(before: number, limit: number): Promise<number> {
    return this.sql(DELETE_STATS_SQL).run(before, limit).changes;
  }

  async deleteFinishedTasksBefore(before: number, limit: number): Promise<number> {
    return this.sql(
      `DELETE FROM tasks WHERE id IN (
         SELECT id FROM tasks WHERE status IN ('succeeded', 'failed') AND finished_at < ? ORDER BY finished_at LIMIT ?)`,
    ).run(before, limit).changes;
  }

  async expungeEventPayload(tenantId: string, eventId: string, now: number): Promise<boolean> {
    return this.db.transaction(() => {
      const { changes } = this.sql(
        `UPDATE events SET data = '', payload_expunged_at = coalesce(payload_expunged_at, ?)
         WHERE tenant_id = ? AND id = ?`,
      ).run(now, tenantId, eventId);
      if (changes === 0) return false;
      // Leased ones too: the lease is dropped, so the in-flight worker's record is refused as a lost lease.
      this.sql(
        `UPDATE deliveries SET status = 'dead', next_attempt_at = NULL, lease_token = NULL, locked_until = NULL,
           last_error = 'payload expunged', updated_at = ?
         WHERE tenant_id = ? AND event_id = ? AND status IN ('pending', 'failed')`,
      ).run(now, tenantId, eventId);
      return true;
    }).immediate();
  }

  async expungePayloadsBefore(before: number, limit: number, now: number): Promise<number> {
    return this.sql(
      `UPDATE events SET data = '', payload_expunged_at = @now
       WHERE rowid IN (
         SELECT e.rowid FROM events e
         WHERE e.created_at < @before AND e.payload_expunged_at IS NULL
           AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.tenant_id = e.tenant_id AND d.event_id = e.id
             AND d.status IN ('pending', 'failed'))
         ORDER BY e.created_at LIMIT @limit)`,
    ).run({ before, limit, now }).changes;
  }

  async deleteAttemptsBefore(before: number, limit: number): Promise<number> {
    return this.sql(
      "DELETE FROM attempts WHERE id IN (SELECT id FROM attempts WHERE started_at < ? ORDER BY started_at LIMIT ?)",
    ).run(before, limit).changes;
  }

  async deleteIdempotencyKeysBefore(before: number, limit: number): Promise<number> {
    return this.sql(
      `DELETE FROM idempotency_keys WHERE rowid IN (
         SELECT rowid FROM idempotency_keys WHERE created_at < ? ORDER BY created_at LIMIT ?)`,
    ).run(before, limit).changes;
  }

  async clearResponseBodies(
    from: number,
    before: number,
    limit: number,
  ): Promise<{ scanned: number; lastStartedAt: number | null }> {
    return this.db.transaction(() => {
      const rows = this.sql(
        `SELECT id, started_at FROM attempts WHERE started_at >= ? AND started_at < ? ORDER BY started_at LIMIT ?`,
      ).all(from, before, limit) as { id: string; started_at: number }[];
      const clear = this.sql("UPDATE attempts SET response_body = NULL WHERE id = ? AND response_body IS NOT NULL");
      for (const r of rows) clear.run(r.id);
      return { scanned: rows.length, lastStartedAt: rows.at(-1)?.started_at ?? null };
    }).immediate();
  }

  subscribeWork(onWork: () => void): () => void {
    this.work.on("work", onWork);
    return () => this.work.off("work", onWork);
  }

  /**
   * Tells this connection's subscribers that another connection to the same file committed new work (the delivery
   * thread's store hears of the API thread's ingests this way; SQLite itself has no notification).
   */
  notifyWork(): void {
    this.work.emit("work");
  }
}
