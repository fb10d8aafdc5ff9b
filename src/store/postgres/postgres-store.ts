/**
 * The scale-out store: any number of hookd processes share one PostgreSQL. Workers claim due deliveries in batches
 * with FOR UPDATE SKIP LOCKED, so concurrent claimers never wait on each other's rows and never take the same one;
 * completions of a batch are written with one statement over unnest() arrays instead of a round trip per delivery.
 */
import { EventEmitter } from "node:events";
import type pg from "pg";
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
import type {
  ApiKeyInfo,
  ApiKeyRecord,
  AttemptRecord,
  AuditEntry,
  AuditNote,
  ClaimedDelivery,
  ClaimRequest,
  DeliveryFilter,
  EndpointPatch,
  EndpointSecretsChange,
  IngestedEvent,
  IngestRequest,
  IngestResult,
  OperationalEventFilter,
  PageRequest,
  QueueStats,
  ReplayResult,
  SecretRotation,
  Store,
  StoredEndpointSecrets,
  TenantPatch,
} from "../store.ts";
import { migratePostgres } from "./migrate.ts";
import { createPool, inTransaction } from "./pool.ts";
import { WORK_CHANNEL, WorkListener } from "./work-listener.ts";

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
  "timeout_ms, retry_schedule_s, disabled, disabled_reason, metadata";

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
}

export class PostgresStore implements Store {
  readonly kind = "postgres" as const;
  private readonly pool: pg.Pool;
  private readonly work = new EventEmitter();
  private listener: WorkListener | null = null;

  constructor(private readonly options: PostgresStoreOptions) {
    this.pool = createPool(options.url, options.poolSize, options.onError);
    this.work.setMaxListeners(0);
  }

  async migrate(): Promise<void> {
    await migratePostgres(this.pool);
  }

  async ping(): Promise<void> {
    await this.pool.query("SELECT 1");
  }

  async close(): Promise<void> {
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
        `INSERT INTO endpoints (id, tenant_id, signature_scheme, ${ENDPOINT_COLUMNS}, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)`,
        [e.id, e.tenantId, e.signatureScheme, ...endpointValues(e), e.createdAt, e.updatedAt],
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
        `UPDATE endpoints SET (${ENDPOINT_COLUMNS}, updated_at)
           = ($3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
         WHERE tenant_id = $1 AND id = $2`,
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

  /**
   * Group commit for the common case. Requests with no Idempotency-Key and only hookd-generated event ids cannot
   * conflict with anything, so concurrent ones are merged: one transaction, one unnest() insert for all their events
   * and one for all their deliveries, instead of six round trips and a commit each. Up to MAX_GROUPS run at once;
   * whatever arrives meanwhile forms the next group. Every caller is answered after its group's COMMIT.
   * Other requests take the per-request path below.
   */
  async ingest(req: IngestRequest): Promise<IngestResult> {
    if (req.idempotency === null && req.events.every((e) => e.generatedId)) {
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
    const dlv = { ids: [] as string[], tenants: [] as string[], events: [] as string[], endpoints: [] as string[], at: [] as number[] };
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
        `INSERT INTO deliveries (id, tenant_id, event_id, endpoint_id, status, next_attempt_at, created_at, updated_at)
         SELECT d.id, d.tenant_id, d.event_id, d.endpoint_id, 'pending', d.at, d.at, d.at
         FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[])
           AS d (id, tenant_id, event_id, endpoint_id, at)`,
        [dlv.ids, dlv.tenants, dlv.events, dlv.endpoints, dlv.at],
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
    const dlv = { ids: [] as string[], events: [] as string[], endpoints: [] as string[], times: [] as number[] };
    const matched = new Map<string, number>();
    for (const ev of req.events) {
      if (!fresh.has(ev.id) || matched.has(ev.id)) continue;
      let n = 0;
      for (const ep of endpoints) {
        if (!matchesEventType(ep.event_types, ev.type)) continue;
        dlv.ids.push(newId("dlv"));
        dlv.events.push(ev.id);
        dlv.endpoints.push(ep.id);
        dlv.times.push(ev.createdAt);
        n++;
      }
      matched.set(ev.id, n);
    }
    if (dlv.ids.length > 0) {
      await client.query(
        `INSERT INTO deliveries (id, tenant_id, event_id, endpoint_id, status, next_attempt_at, created_at, updated_at)
         SELECT d.id, $1, d.event_id, d.endpoint_id, 'pending', d.at, d.at, d.at
         FROM unnest($2::text[], $3::text[], $4::text[], $5::bigint[]) AS d (id, event_id, endpoint_id, at)
         ON CONFLICT DO NOTHING`,
        [req.tenantId, dlv.ids, dlv.events, dlv.endpoints, dlv.times],
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
    const where = ["tenant_id = $1"];
    const params: unknown[] = [tenantId];
    const add = (clause: string, value: unknown) => {
      params.push(value);
      where.push(clause.replace("?", `$${params.length}`));
    };
    if (filter.endpointId) add("endpoint_id = ?", filter.endpointId);
    if (filter.eventId) add("event_id = ?", filter.eventId);
    if (filter.statuses && filter.statuses.length > 0) add("status = ANY(?::text[])", filter.statuses);
    if (page.after) add("id < ?", page.after);
    params.push(page.limit + 1);
    const { rows } = await this.pool.query<DeliveryRow>(
      `SELECT * FROM deliveries WHERE ${where.join(" AND ")} ORDER BY id DESC LIMIT $${params.length}`,
      params,
    );
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
      const { rows } = await client.query<{ status: string; lease_token: string | null; locked_until: number | null }>(
        "SELECT status, lease_token, locked_until FROM deliveries WHERE tenant_id = $1 AND id = $2 FOR UPDATE",
        [tenantId, id],
      );
      const row = rows[0];
      if (!row) return "not_found";
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
           AND (locked_until IS NULL OR locked_until <= $5)`,
        [tenantId, endpointId, status, since ?? 0, now],
      );
      if (rowCount) await client.query("SELECT pg_notify($1, '')", [WORK_CHANNEL]);
      return rowCount ?? 0;
    });
  }

  /**
   * One statement: pick the oldest due rows nobody else has locked, lease them (endpoint timeout plus margin) by
   * moving next_attempt_at to the lease's end, and return them joined with their event and endpoint so the worker needs no further reads.
   */
  async claimDue(req: ClaimRequest): Promise<ClaimedDelivery[]> {
    const { rows } = await this.pool.query<ClaimRow>(
      `WITH due AS (
         SELECT id, endpoint_id FROM deliveries
         WHERE status IN ('pending', 'failed') AND next_attempt_at <= $1
         ORDER BY next_attempt_at LIMIT $2
         FOR UPDATE SKIP LOCKED
       ), claimed AS (
         UPDATE deliveries d SET lease_token = $3, locked_until = $1 + $4 + lep.timeout_ms,
           next_attempt_at = $1 + $4 + lep.timeout_ms
         FROM due JOIN endpoints lep ON lep.id = due.endpoint_id WHERE d.id = due.id
         RETURNING d.id, d.tenant_id, d.event_id, d.endpoint_id, d.attempts, d.cycle_attempts
       )
       SELECT c.*, e.type, e.data, e.created_at AS event_created_at,
         ep.url, ep.signature_scheme, ep.secret, ep.previous_secret, ep.previous_secret_expires_at, ep.headers,
         ep.timeout_ms, ep.retry_schedule_s, ep.disabled
       FROM claimed c
       JOIN events e ON e.tenant_id = c.tenant_id AND e.id = c.event_id
       JOIN endpoints ep ON ep.id = c.endpoint_id`,
      [req.now, req.limit, req.leaseToken, req.leaseMarginMs],
    );
    return rows.map((r) => ({
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
        timeoutMs: r.timeout_ms,
        retryScheduleS: r.retry_schedule_s,
        disabled: r.disabled,
      },
    }));
  }

  /**
   * The whole batch in one statement: update every delivery whose lease this worker still holds, and insert the
   * attempt rows of exactly those. A delivery whose lease was lost belongs to another worker now; its record wins.
   */
  async recordAttempts(records: AttemptRecord[]): Promise<void> {
    if (records.length === 0) return;
    // The hot path (first-attempt successes, scheduled retries) is one statement without a transaction. A batch
    // that may disable an endpoint or produce an operational event runs in one, so those land with their attempt.
    if (records.some(mayProduceOperationalEvents)) {
      await inTransaction(this.pool, (client) => this.recordWithSideEffects(client, records));
    } else {
      await this.recordIn(this.pool, records);
    }
  }

  private async recordWithSideEffects(client: pg.PoolClient, records: AttemptRecord[]): Promise<void> {
    const applied = new Map((await this.recordIn(client, records)).map((row) => [row.id, row]));
    const ops: OperationalEvent[] = [];
    for (const r of records) {
      const row = applied.get(r.deliveryId);
      // A lost lease means another worker owns the delivery now; its record wins, side effects included.
      if (!row) continue;
      let disabledEndpoint = false;
      if (r.disableEndpoint) {
        const d = r.disableEndpoint;
        const { rowCount } = await client.query(
          `UPDATE endpoints SET disabled = true, disabled_reason = $3, updated_at = $4
           WHERE tenant_id = $1 AND id = $2 AND NOT disabled`,
          [d.tenantId, d.endpointId, d.reason, r.now],
        );
        disabledEndpoint = rowCount === 1;
      }
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
    const { rows } = await db.query(
      `WITH input AS (
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
           error_class, outcome, timeout_ms)
         SELECT a.* FROM unnest($10::text[], $1::text[], $11::int[], $12::bigint[], $13::int[], $14::int[], $15::text[],
             $16::text[], $17::text[], $18::text[], $19::int[])
           AS a (id, delivery_id, attempt, started_at, duration_ms, status_code, response_body, error, error_class,
             outcome, timeout_ms)
         WHERE a.id IS NOT NULL AND a.delivery_id IN (SELECT id FROM updated)
       )
       SELECT p.* FROM prior p JOIN updated u ON u.id = p.id`,
      [
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
      ],
    );
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
        `INSERT INTO deliveries (id, tenant_id, event_id, endpoint_id, status, next_attempt_at, created_at, updated_at)
         SELECT d.id, $1, $2, d.endpoint_id, 'pending', $3, $3, $3
         FROM unnest($4::text[], $5::text[]) AS d (id, endpoint_id)`,
        [OPERATOR_TENANT_ID, op.id, op.createdAt, matching.map(() => newId("dlv")), matching.map((ep) => ep.id)],
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

  subscribeWork(onWork: () => void): () => void {
    if (!this.listener) {
      this.listener = new WorkListener(this.options.url, () => this.work.emit("work"), this.options.onError);
      this.listener.start();
    }
    this.work.on("work", onWork);
    return () => this.work.off("work", onWork);
  }
}

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
