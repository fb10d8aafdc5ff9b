/**
 * Tenants (PostgreSQL). Deleting one hides it at once and queues a tenant.delete task that removes what it owns in
 * batches, the tenant row last (see deleteTenant in ports/tenants.ts); its audit log stays. A tenant being deleted
 * is invisible here except to insertTenant, which finds its id taken.
 */
import { parseQuotaOverrides, quotaOverridesToStore } from "../../domain/quotas.ts";
import { toPage } from "../paging.ts";
import { auditEntryFor, type TenantRow, toTenant } from "../rows.ts";
import type { TenantsPort } from "../ports/tenants.ts";
import type { PostgresContext } from "./context.ts";
import { newDeletionTask } from "../../domain/tasks.ts";
import { failActiveTasks, insertTaskRow } from "./task-queries.ts";
import { inTransaction } from "./pool.ts";
import { ENDPOINTS_CHANNEL } from "./work-listener.ts";

export function postgresTenants(ctx: PostgresContext): TenantsPort {
  const pool = ctx.pool;
  return {
    async insertTenant(t, audit) {
      return inTransaction(pool, async (client) => {
        const { rowCount } = await client.query(
          `INSERT INTO tenants (id, name, metadata, oversized_events, event_retention_days, quotas, created_at, updated_at)
           VALUES ($1, $2, $3, $4, $5, $8, $6, $7)
           ON CONFLICT (id) DO NOTHING`,
          [t.id, t.name, JSON.stringify(t.metadata), t.oversizedEvents, t.eventRetentionDays, t.createdAt, t.updatedAt, quotaOverridesToStore(t.quotas)],
        );
        if (rowCount !== 1) return false;
        if (audit) await ctx.audit(client, auditEntryFor(audit, { type: "tenant", id: t.id, tenantId: t.id }, null, t));
        return true;
      });
    },

    async getTenant(id) {
      const { rows } = await pool.query<TenantRow>("SELECT * FROM tenants WHERE id = $1 AND deleting_at IS NULL", [id]);
      return rows[0] ? toTenant(rows[0]) : null;
    },

    async listTenants(page) {
      const { rows } = await pool.query<TenantRow>("SELECT * FROM tenants WHERE id > $1 AND deleting_at IS NULL ORDER BY id LIMIT $2", [
        page.after ?? "",
        page.limit + 1,
      ]);
      return toPage(rows.map(toTenant), page.limit);
    },

    async updateTenant(id, patch, now, audit) {
      return inTransaction(pool, async (client) => {
        const before = await client.query<TenantRow>("SELECT * FROM tenants WHERE id = $1 AND deleting_at IS NULL FOR UPDATE", [id]);
        if (!before.rows[0]) return null;
        const { rows } = await client.query<TenantRow>(
          `UPDATE tenants SET name = COALESCE($2, name), metadata = COALESCE($3::jsonb, metadata),
             oversized_events = COALESCE($5, oversized_events),
             event_retention_days = CASE WHEN $6 THEN $7::int ELSE event_retention_days END, updated_at = $4,
             quotas = CASE WHEN $8 THEN $9 ELSE quotas END
           WHERE id = $1 RETURNING *`,
          [
            id,
            patch.name ?? null,
            patch.metadata === undefined ? null : JSON.stringify(patch.metadata),
            now,
            patch.oversizedEvents ?? null,
            patch.eventRetentionDays !== undefined,
            patch.eventRetentionDays ?? null,
            patch.quotas !== undefined,
            quotaOverridesToStore(patch.quotas),
          ],
        );
        const after = toTenant(rows[0]!);
        if (audit) await ctx.audit(client, auditEntryFor(audit, { type: "tenant", id, tenantId: id }, toTenant(before.rows[0]), after));
        return after;
      });
    },

    async getTenantUsage(id) {
      const { rows } = await pool.query<{ quotas: string | null; stored_bytes: string; endpoints: string }>(
        `SELECT t.quotas,
           (SELECT coalesce(sum(stored_bytes), 0) FROM tenant_usage u WHERE u.tenant_id = t.id) AS stored_bytes,
           (SELECT count(*) FROM endpoints e WHERE e.tenant_id = t.id) AS endpoints
         FROM tenants t WHERE t.id = $1 AND t.deleting_at IS NULL`,
        [id],
      );
      const row = rows[0];
      return row ? { quotas: parseQuotaOverrides(row.quotas), storedBytes: Number(row.stored_bytes), endpoints: Number(row.endpoints) } : null;
    },

    async deleteTenant(id, taskId, now, audit) {
      const task = await inTransaction(pool, async (client) => {
        // Locked first, so a concurrent delete or update of the tenant waits for this commit. NO KEY: an ingest's
        // foreign-key check need not wait (what it writes meanwhile is refused by the endpoints or purged later).
        const { rows: found } = await client.query<TenantRow>(
          "SELECT * FROM tenants WHERE id = $1 AND deleting_at IS NULL FOR NO KEY UPDATE",
          [id],
        );
        if (!found[0]) return null;
        await client.query("UPDATE tenants SET deleting_at = $2 WHERE id = $1", [id, now]);
        // Its keys stop working with this commit (the caller announces the change to every process's key cache).
        await client.query("DELETE FROM api_keys WHERE tenant_id = $1", [id]);
        // Its endpoints stop at once: without scheduler and stream rows ingest fans out to none of them and their
        // owners lose them at their next cycle. One row each, so this stays short however big the log is. Stream
        // rows before queue rows, in endpoint order: the lock order everywhere.
        await client.query(
          `DELETE FROM endpoint_stream WHERE endpoint_id IN (
             SELECT s.endpoint_id FROM endpoint_stream s JOIN endpoints e ON e.id = s.endpoint_id
             WHERE e.tenant_id = $1 ORDER BY s.endpoint_id FOR UPDATE OF s)`,
          [id],
        );
        await client.query(
          `DELETE FROM endpoint_queue WHERE endpoint_id IN (
             SELECT endpoint_id FROM endpoint_queue WHERE tenant_id = $1 ORDER BY endpoint_id FOR UPDATE)`,
          [id],
        );
        // Its other tasks end; the rows of endpoints whose own deletion had not finished become this task's work.
        const ended = await failActiveTasks(client, "tenant_id = $3", [id], "the tenant was deleted", now);
        const endpointIds = ended.filter((t) => t.kind === "endpoint.delete").map((t) => t.endpoint_id);
        const next = newDeletionTask(taskId, "tenant.delete", id, "", { endpointIds }, now);
        await insertTaskRow(client, next);
        await client.query("SELECT pg_notify($1, $2)", [ENDPOINTS_CHANNEL, id]);
        if (audit) await ctx.audit(client, auditEntryFor(audit, { type: "tenant", id, tenantId: id }, toTenant(found[0]), null));
        return next;
      });
      if (task) ctx.endpointsChanged(id);
      return task;
    },
  };
}
