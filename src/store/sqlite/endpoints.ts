/**
 * Endpoints (SQLite): the endpoint row always comes with its scheduler row, its stream row and its isolation state.
 * Disabling pauses the endpoint's queue (its scheduler row stops being due and ingest stops fanning out to it);
 * enabling makes it due again if anything waits.
 */
import { initialEndpointState, parseEndpointState, serializeEndpointState } from "../../domain/endpoint-state.ts";
import { newOperationalEvent } from "../../domain/operational-events.ts";
import { newDeletionTask } from "../../domain/tasks.ts";
import type { Endpoint } from "../../domain/types.ts";
import { toPage } from "../paging.ts";
import {
  auditEntryFor,
  type EndpointRow,
  endpointParams,
  type SecretsRow,
  toEndpoint,
  toStoredSecrets,
} from "../rows.ts";
import type { EndpointHealthRecord, EndpointsPort } from "../ports/endpoints.ts";
import type { SqliteContext } from "./context.ts";
import { failActiveTasks } from "./fail-tasks.ts";
import { insertOperationalEvents } from "./operational-events.ts";
import { pauseQueue, resumeQueue } from "./queue-switch.ts";
import { SqliteTasks } from "./task-queries.ts";

export function sqliteEndpoints(ctx: SqliteContext): EndpointsPort {
  const getRow = (tenantId: string, id: string) =>
    ctx.sql("SELECT * FROM endpoints WHERE tenant_id = ? AND id = ?").get(tenantId, id) as EndpointRow | undefined;

  return {
    async insertEndpoint(e, audit, maxEndpoints = 0) {
      const inserted = ctx.write(() => {
        if (maxEndpoints > 0) {
          const { n } = ctx.sql("SELECT count(*) AS n FROM endpoints WHERE tenant_id = ?").get(e.tenantId) as { n: number };
          if (n >= maxEndpoints) return false;
        }
        insertEndpointRows(ctx, e);
        if (audit) ctx.audit(auditEntryFor(audit, { type: "endpoint", id: e.id, tenantId: e.tenantId }, null, e));
        return true;
      });
      ctx.subscriptions.invalidate(e.tenantId);
      return inserted;
    },

    async getEndpoint(tenantId, id) {
      const row = getRow(tenantId, id);
      return row ? toEndpoint(row) : null;
    },

    async listEndpoints(tenantId, page) {
      const rows = ctx
        .sql("SELECT * FROM endpoints WHERE tenant_id = ? AND id > ? ORDER BY id LIMIT ?")
        .all(tenantId, page.after ?? "", page.limit + 1) as EndpointRow[];
      return toPage(rows.map(toEndpoint), page.limit);
    },

    async updateEndpoint(tenantId, id, patch, now, audit) {
      let wake = false;
      const updated = ctx.write(() => {
        const row = getRow(tenantId, id);
        if (!row) return null;
        const before = toEndpoint(row);
        const next: Endpoint = { ...before, ...patch, updatedAt: now };
        if (audit) ctx.audit(auditEntryFor(audit, { type: "endpoint", id, tenantId }, before, next));
        ctx
          .sql(
            `UPDATE endpoints SET url = @url, description = @description, event_types = @event_types, secret = @secret,
               previous_secret = @previous_secret, previous_secret_expires_at = @previous_secret_expires_at,
               public_key = @public_key, headers = @headers, timeout_ms = @timeout_ms, max_in_flight = @max_in_flight,
               rate_limit_per_s = @rate_limit_per_s, retry_schedule_s = @retry_schedule_s, disabled = @disabled,
               disabled_reason = @disabled_reason, metadata = @metadata, filter = @filter, payload_mode = @payload_mode,
               oauth2 = @oauth2, mtls = @mtls, ordering = @ordering, fifo_on_dead = @fifo_on_dead, updated_at = @updated_at
             WHERE id = @id AND tenant_id = @tenant_id`,
          )
          .run(endpointParams(next));
        if (next.disabled !== before.disabled) {
          if (next.disabled) pauseQueue(ctx, id);
          else wake = resumeQueue(ctx, id, now) || wake;
          const type = next.disabled ? "endpoint.disabled" : "endpoint.enabled";
          const data = next.disabled ? { reason: next.disabledReason } : {};
          wake = insertOperationalEvents(ctx, [newOperationalEvent(type, { tenantId, endpointId: id }, data, now)]) || wake;
        }
        return next;
      });
      ctx.subscriptions.invalidate(tenantId);
      ctx.endpointsChanged(tenantId);
      if (wake) ctx.wake();
      return updated;
    },

    async deleteEndpoint(tenantId, id, taskId, now, audit) {
      const task = ctx.write(() => {
        const row = getRow(tenantId, id);
        if (!row) return null;
        // A recover of the endpoint would only fail at its next step; it ends now, and frees the endpoint's slot.
        failActiveTasks(ctx, "endpoint_id = ? AND kind = 'endpoint.recover'", [id], "the endpoint was deleted", now);
        // Only the small rows go now (scheduler, stream and state, the stats and payload fetches by cascade): the
        // log, however big, is the task's, in batches. Ingest finds no scheduler row from here on.
        ctx.sql("DELETE FROM endpoints WHERE tenant_id = ? AND id = ?").run(tenantId, id);
        const queued = newDeletionTask(taskId, "endpoint.delete", tenantId, id, { endpointIds: [] }, now);
        new SqliteTasks(ctx).insert(queued);
        if (audit) ctx.audit(auditEntryFor(audit, { type: "endpoint", id, tenantId }, toEndpoint(row), null));
        return queued;
      });
      ctx.subscriptions.invalidate(tenantId);
      if (task) ctx.endpointsChanged(tenantId);
      return task;
    },

    async rotateEndpointSecret(tenantId, id, rotation, now, audit) {
      const rotated = ctx.write(() => {
        const before = getRow(tenantId, id);
        if (!before) return null;
        const row = ctx
          .sql(
            `UPDATE endpoints SET previous_secret = CASE WHEN @expires IS NULL THEN NULL ELSE secret END,
               previous_secret_expires_at = @expires, secret = @secret, public_key = @public_key, updated_at = @now
             WHERE tenant_id = @tenant_id AND id = @id RETURNING *`,
          )
          .get({
            expires: rotation.previousExpiresAt,
            secret: rotation.sealedSecret,
            public_key: rotation.publicKey,
            now,
            tenant_id: tenantId,
            id,
          }) as EndpointRow;
        const after = toEndpoint(row);
        if (audit) ctx.audit(auditEntryFor(audit, { type: "endpoint", id, tenantId }, toEndpoint(before), after));
        return after;
      });
      // Owners sign with the new secret from their next request on (an immediate rotation voids the old one).
      if (rotated) ctx.endpointsChanged(tenantId);
      return rotated;
    },

    async listEndpointSecrets(after, limit) {
      const rows = ctx
        .sql("SELECT id, secret, previous_secret, previous_secret_expires_at FROM endpoints WHERE id > ? ORDER BY id LIMIT ?")
        .all(after ?? "", limit) as SecretsRow[];
      return rows.map(toStoredSecrets);
    },

    async replaceEndpointSecrets(changes) {
      const update = ctx.sql(
        `UPDATE endpoints SET secret = @secret, previous_secret = @previous, previous_secret_expires_at = @expires
         WHERE id = @id AND secret = @expected_secret AND previous_secret IS @expected_previous`,
      );
      return ctx.write(() => {
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
      });
    },

    async getEndpointHealth(tenantId, endpointIds) {
      const out = new Map<string, EndpointHealthRecord>();
      const read = ctx.sql(
        `SELECT s.data FROM endpoint_state s JOIN endpoints ep ON ep.id = s.endpoint_id
         WHERE ep.tenant_id = ? AND s.endpoint_id = ?`,
      );
      for (const id of endpointIds) {
        const row = read.get(tenantId, id) as { data: string } | undefined;
        if (!row) continue;
        const state = parseEndpointState(row.data);
        out.set(id, { state, inFlight: state.inFlight });
      }
      return out;
    },

    async resetEndpointState(tenantId, endpointId, now) {
      const { changes } = ctx
        .sql(
          `UPDATE endpoint_state SET data = ?, updated_at = ?, reset_at = ?
           WHERE endpoint_id = (SELECT id FROM endpoints WHERE tenant_id = ? AND id = ?)`,
        )
        .run(serializeEndpointState(initialEndpointState()), now, now, tenantId, endpointId);
      return changes === 1;
    },
  };
}

/** The endpoint row with its isolation state, scheduler and stream rows, always together. */
export function insertEndpointRows(ctx: SqliteContext, e: Endpoint): void {
  ctx
    .sql(
      `INSERT INTO endpoints (id, tenant_id, type, url, description, event_types, secret, signature_scheme, previous_secret,
         previous_secret_expires_at, public_key, headers, timeout_ms, max_in_flight, rate_limit_per_s, retry_schedule_s,
         disabled, disabled_reason, metadata, filter, payload_mode, oauth2, mtls, ordering, fifo_on_dead, created_at,
         updated_at)
       VALUES (@id, @tenant_id, @type, @url, @description, @event_types, @secret, @signature_scheme, @previous_secret,
         @previous_secret_expires_at, @public_key, @headers, @timeout_ms, @max_in_flight, @rate_limit_per_s,
         @retry_schedule_s, @disabled, @disabled_reason, @metadata, @filter, @payload_mode, @oauth2, @mtls, @ordering,
         @fifo_on_dead, @created_at, @updated_at)`,
    )
    .run(endpointParams(e));
  ctx
    .sql("INSERT INTO endpoint_state (endpoint_id, data, updated_at) VALUES (?, ?, ?)")
    .run(e.id, serializeEndpointState(initialEndpointState()), e.createdAt);
  ctx
    .sql("INSERT INTO endpoint_queue (endpoint_id, tenant_id, disabled) VALUES (?, ?, ?)")
    .run(e.id, e.tenantId, e.disabled ? 1 : 0);
  ctx.sql("INSERT INTO endpoint_stream (endpoint_id) VALUES (?)").run(e.id);
}
