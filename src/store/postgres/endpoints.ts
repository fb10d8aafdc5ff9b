/**
 * Endpoints (PostgreSQL): the endpoint row always comes with its scheduler row, its stream row and its isolation
 * state. Every change that alters what ingest fans out to (created, deleted, disabled, enabled, subscriptions) tells
 * every process to drop the tenant's cached subscriptions.
 */
import { initialEndpointState, parseEndpointState, serializeEndpointState } from "../../domain/endpoint-state.ts";
import { newOperationalEvent } from "../../domain/operational-events.ts";
import { mtlsToStore, oauth2ToStore } from "../../domain/endpoint-auth.ts";
import { newDeletionTask } from "../../domain/tasks.ts";
import type { Endpoint } from "../../domain/types.ts";
import { toPage } from "../paging.ts";
import { auditEntryFor, type EndpointRow, type SecretsRow, toEndpoint, toStoredSecrets } from "../rows.ts";
import type { EndpointHealthRecord, EndpointsPort } from "../ports/endpoints.ts";
import type { PostgresContext } from "./context.ts";
import { insertOperationalEvents } from "./operational-events.ts";
import { inTransaction } from "./pool.ts";
import { pauseQueue, resumeQueue } from "./queue-switch.ts";
import { failActiveTasks, insertTaskRow } from "./task-queries.ts";
import { ENDPOINTS_CHANNEL } from "./work-listener.ts";

/** The columns an update may change (signature_scheme is fixed at creation), in endpointValues() order. */
const ENDPOINT_COLUMNS =
  "url, description, event_types, secret, previous_secret, previous_secret_expires_at, public_key, headers, " +
  "timeout_ms, retry_schedule_s, disabled, disabled_reason, metadata, max_in_flight, rate_limit_per_s, filter, payload_mode, " +
  "oauth2, mtls, ordering, fifo_on_dead";
/** How many values endpointValues() gives: the statements below number their placeholders from it. */
const COLUMN_COUNT = ENDPOINT_COLUMNS.split(",").length;

/** `$from, $from+1, ...`, count of them. */
function placeholders(from: number, count: number): string {
  return Array.from({ length: count }, (_, i) => `$${from + i}`).join(", ");
}

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
    e.filterJson,
    e.payloadMode,
    oauth2ToStore(e.oauth2),
    mtlsToStore(e.mtls),
    e.ordering,
    e.fifoOnDead,
  ];
}

export function postgresEndpoints(ctx: PostgresContext): EndpointsPort {
  const pool = ctx.pool;
  const changed = async (client: { query: (text: string, values: unknown[]) => Promise<unknown> }, tenantId: string) => {
    await client.query("SELECT pg_notify($1, $2)", [ENDPOINTS_CHANNEL, tenantId]);
  };
  return {
    async insertEndpoint(e, audit, maxEndpoints = 0) {
      const inserted = await inTransaction(pool, async (client) => {
        if (maxEndpoints > 0) {
          // The tenant row's lock serialises endpoint creation per tenant, so two creations cannot both see room for
          // one. NO KEY UPDATE does not conflict with the KEY SHARE lock ingest takes on the same row.
          const { rows } = await client.query<{ n: number }>(
            `WITH t AS (SELECT id FROM tenants WHERE id = $1 FOR NO KEY UPDATE)
             SELECT count(*) AS n FROM endpoints WHERE tenant_id IN (SELECT id FROM t)`,
            [e.tenantId],
          );
          if ((rows[0]?.n ?? 0) >= maxEndpoints) return false;
        }
        await client.query(
          `WITH ep AS (
             INSERT INTO endpoints (id, tenant_id, signature_scheme, ${ENDPOINT_COLUMNS}, created_at, updated_at, type)
             VALUES (${placeholders(1, 3 + COLUMN_COUNT + 2)}, $${3 + COLUMN_COUNT + 4})
             RETURNING id, tenant_id, disabled
           ), st AS (
             INSERT INTO endpoint_state (endpoint_id, data, updated_at) SELECT id, $${3 + COLUMN_COUNT + 3}, $${3 + COLUMN_COUNT + 1} FROM ep
           ), q AS (
             INSERT INTO endpoint_queue (endpoint_id, tenant_id, disabled) SELECT id, tenant_id, disabled FROM ep
           )
           INSERT INTO endpoint_stream (endpoint_id) SELECT id FROM ep`,
          [e.id, e.tenantId, e.signatureScheme, ...endpointValues(e), e.createdAt, e.updatedAt, serializeEndpointState(initialEndpointState()), e.type],
        );
        await changed(client, e.tenantId);
        if (audit) await ctx.audit(client, auditEntryFor(audit, { type: "endpoint", id: e.id, tenantId: e.tenantId }, null, e));
        return true;
      });
      if (inserted) ctx.endpointsChanged(e.tenantId);
      return inserted;
    },

    async getEndpoint(tenantId, id) {
      const { rows } = await pool.query<EndpointRow>("SELECT * FROM endpoints WHERE tenant_id = $1 AND id = $2", [tenantId, id]);
      return rows[0] ? toEndpoint(rows[0]) : null;
    },

    async listEndpoints(tenantId, page) {
      const { rows } = await pool.query<EndpointRow>("SELECT * FROM endpoints WHERE tenant_id = $1 AND id > $2 ORDER BY id LIMIT $3", [
        tenantId,
        page.after ?? "",
        page.limit + 1,
      ]);
      return toPage(rows.map(toEndpoint), page.limit);
    },

    async updateEndpoint(tenantId, id, patch, now, audit) {
      const updated = await inTransaction(pool, async (client) => {
        const { rows } = await client.query<EndpointRow>("SELECT * FROM endpoints WHERE tenant_id = $1 AND id = $2 FOR UPDATE", [
          tenantId,
          id,
        ]);
        if (!rows[0]) return null;
        const before = toEndpoint(rows[0]);
        const next: Endpoint = { ...before, ...patch, updatedAt: now };
        await client.query(
          `UPDATE endpoints SET (${ENDPOINT_COLUMNS}, updated_at) = (${placeholders(3, COLUMN_COUNT + 1)})
             WHERE tenant_id = $1 AND id = $2`,
          [tenantId, id, ...endpointValues(next), now],
        );
        if (next.disabled !== before.disabled) {
          if (next.disabled) await pauseQueue(client, id);
          else await resumeQueue(client, id, now);
          const type = next.disabled ? "endpoint.disabled" : "endpoint.enabled";
          const data = next.disabled ? { reason: next.disabledReason } : {};
          await insertOperationalEvents(ctx, client, [newOperationalEvent(type, { tenantId, endpointId: id }, data, now)]);
        }
        await changed(client, tenantId);
        if (audit) await ctx.audit(client, auditEntryFor(audit, { type: "endpoint", id, tenantId }, before, next));
        return next;
      });
      if (updated) ctx.endpointsChanged(tenantId);
      return updated;
    },

    async deleteEndpoint(tenantId, id, taskId, now, audit) {
      const task = await inTransaction(pool, async (client) => {
        // The scheduler row first: an ingest taking sequence numbers waits for this commit, then finds no row.
        const { rows: queued } = await client.query("SELECT 1 FROM endpoint_queue WHERE endpoint_id = $1 FOR UPDATE", [id]);
        const { rows } = await client.query<EndpointRow>("SELECT * FROM endpoints WHERE tenant_id = $1 AND id = $2", [tenantId, id]);
        if (!rows[0] || queued.length === 0) return null;
        // A recover of the endpoint would only fail at its next step; it ends now, and frees the endpoint's slot.
        await failActiveTasks(client, "endpoint_id = $3 AND kind = 'endpoint.recover'", [id], "the endpoint was deleted", now);
        // Only the small rows go now (scheduler, stream and state, the stats and payload fetches by cascade): the
        // log, however big, is the task's, in batches. The owner loses the endpoint at its next cycle.
        await client.query("DELETE FROM endpoints WHERE tenant_id = $1 AND id = $2", [tenantId, id]);
        const next = newDeletionTask(taskId, "endpoint.delete", tenantId, id, { endpointIds: [] }, now);
        await insertTaskRow(client, next);
        await changed(client, tenantId);
        if (audit) await ctx.audit(client, auditEntryFor(audit, { type: "endpoint", id, tenantId }, toEndpoint(rows[0]), null));
        return next;
      });
      if (task) ctx.endpointsChanged(tenantId);
      return task;
    },

    async rotateEndpointSecret(tenantId, id, rotation, now, audit) {
      const rotated = await inTransaction(pool, async (client) => {
        // The row lock orders concurrent rotations: each one moves the secret the previous one set.
        const { rows: before } = await client.query<EndpointRow>("SELECT * FROM endpoints WHERE tenant_id = $1 AND id = $2 FOR UPDATE", [
          tenantId,
          id,
        ]);
        if (!before[0]) return null;
        const { rows } = await client.query<EndpointRow>(
          `UPDATE endpoints SET previous_secret = CASE WHEN $3::bigint IS NULL THEN NULL ELSE secret END,
             previous_secret_expires_at = $3, secret = $4, public_key = $5, updated_at = $6
           WHERE tenant_id = $1 AND id = $2 RETURNING *`,
          [tenantId, id, rotation.previousExpiresAt, rotation.sealedSecret, rotation.publicKey, now],
        );
        const after = toEndpoint(rows[0]!);
        if (audit) await ctx.audit(client, auditEntryFor(audit, { type: "endpoint", id, tenantId }, toEndpoint(before[0]), after));
        // Owners sign with the new secret from their next request on (an immediate rotation voids the old one).
        await changed(client, tenantId);
        return after;
      });
      if (rotated) ctx.endpointsChanged(tenantId);
      return rotated;
    },

    async listEndpointSecrets(after, limit) {
      const { rows } = await pool.query<SecretsRow>(
        "SELECT id, secret, previous_secret, previous_secret_expires_at FROM endpoints WHERE id > $1 ORDER BY id LIMIT $2",
        [after ?? "", limit],
      );
      return rows.map(toStoredSecrets);
    },

    async replaceEndpointSecrets(changes) {
      if (changes.length === 0) return 0;
      const { rowCount } = await pool.query(
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
    },

    async getEndpointHealth(tenantId, endpointIds) {
      const out = new Map<string, EndpointHealthRecord>();
      if (endpointIds.length === 0) return out;
      const { rows } = await pool.query<{ endpoint_id: string; data: string }>(
        `SELECT s.endpoint_id, s.data FROM endpoint_state s JOIN endpoints ep ON ep.id = s.endpoint_id
         WHERE ep.tenant_id = $1 AND s.endpoint_id = ANY ($2::text[])`,
        [tenantId, endpointIds],
      );
      for (const r of rows) {
        const state = parseEndpointState(r.data);
        out.set(r.endpoint_id, { state, inFlight: state.inFlight });
      }
      return out;
    },

    async resetEndpointState(tenantId, endpointId, now) {
      const { rowCount } = await pool.query(
        `UPDATE endpoint_state SET data = $3, updated_at = $4, reset_at = $4
         WHERE endpoint_id = (SELECT id FROM endpoints WHERE tenant_id = $1 AND id = $2)`,
        [tenantId, endpointId, serializeEndpointState(initialEndpointState()), now],
      );
      return rowCount === 1;
    },
  };
}
