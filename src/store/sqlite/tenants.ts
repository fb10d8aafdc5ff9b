/**
 * Tenants (SQLite). Deleting one hides it at once and queues a tenant.delete task that removes what it owns in
 * batches, the tenant row last (see deleteTenant in ports/tenants.ts); its audit log stays. A tenant being deleted
 * is invisible here except to insertTenant, which finds its id taken.
 */
import { parseQuotaOverrides, quotaOverridesToStore } from "../../domain/quotas.ts";
import { auditEntryFor, type TenantRow, toTenant } from "../rows.ts";
import { toPage } from "../paging.ts";
import type { TenantsPort } from "../ports/tenants.ts";
import type { SqliteContext } from "./context.ts";
import { newDeletionTask } from "../../domain/tasks.ts";
import { failActiveTasks } from "./fail-tasks.ts";
import { SqliteTasks } from "./task-queries.ts";

export function sqliteTenants(ctx: SqliteContext): TenantsPort {
  return {
    async insertTenant(t, audit) {
      return ctx.write(() => {
        const result = ctx
          .sql(
            `INSERT INTO tenants (id, name, metadata, oversized_events, event_retention_days, quotas, created_at, updated_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?)
             ON CONFLICT (id) DO NOTHING`,
          )
          .run(t.id, t.name, JSON.stringify(t.metadata), t.oversizedEvents, t.eventRetentionDays, quotaOverridesToStore(t.quotas), t.createdAt, t.updatedAt);
        if (result.changes !== 1) return false;
        if (audit) ctx.audit(auditEntryFor(audit, { type: "tenant", id: t.id, tenantId: t.id }, null, t));
        return true;
      });
    },

    async getTenant(id) {
      const row = ctx.sql("SELECT * FROM tenants WHERE id = ? AND deleting_at IS NULL").get(id) as TenantRow | undefined;
      return row ? toTenant(row) : null;
    },

    async listTenants(page) {
      const rows = ctx
        .sql("SELECT * FROM tenants WHERE id > ? AND deleting_at IS NULL ORDER BY id LIMIT ?")
        .all(page.after ?? "", page.limit + 1) as TenantRow[];
      return toPage(rows.map(toTenant), page.limit);
    },

    async updateTenant(id, patch, now, audit) {
      return ctx.write(() => {
        const row = ctx.sql("SELECT * FROM tenants WHERE id = ? AND deleting_at IS NULL").get(id) as TenantRow | undefined;
        if (!row) return null;
        const before = toTenant(row);
        const next = { ...before, ...patch, updatedAt: now };
        if (audit) ctx.audit(auditEntryFor(audit, { type: "tenant", id, tenantId: id }, before, next));
        ctx
          .sql("UPDATE tenants SET name = ?, metadata = ?, oversized_events = ?, event_retention_days = ?, quotas = ?, updated_at = ? WHERE id = ?")
          .run(next.name, JSON.stringify(next.metadata), next.oversizedEvents, next.eventRetentionDays, quotaOverridesToStore(next.quotas), now, id);
        return next;
      });
    },

    async getTenantUsage(id) {
      const row = ctx
        .sql(
          `SELECT t.quotas,
             (SELECT coalesce(sum(stored_bytes), 0) FROM tenant_usage u WHERE u.tenant_id = t.id) AS stored_bytes,
             (SELECT count(*) FROM endpoints e WHERE e.tenant_id = t.id) AS endpoints
           FROM tenants t WHERE t.id = ? AND t.deleting_at IS NULL`,
        )
        .get(id) as { quotas: string | null; stored_bytes: number; endpoints: number } | undefined;
      return row ? { quotas: parseQuotaOverrides(row.quotas), storedBytes: row.stored_bytes, endpoints: row.endpoints } : null;
    },

    async deleteTenant(id, taskId, now, audit) {
      const task = ctx.write(() => {
        const row = ctx.sql("SELECT * FROM tenants WHERE id = ? AND deleting_at IS NULL").get(id) as TenantRow | undefined;
        if (!row) return null;
        ctx.sql("UPDATE tenants SET deleting_at = ? WHERE id = ?").run(now, id);
        // Its keys stop working with this commit (the caller announces the change to every process's key cache).
        ctx.sql("DELETE FROM api_keys WHERE tenant_id = ?").run(id);
        // Its endpoints stop at once: without scheduler and stream rows ingest fans out to none of them and their
        // owners lose them at their next cycle. One row each, so this stays short however big the log is.
        ctx.sql("DELETE FROM endpoint_stream WHERE endpoint_id IN (SELECT id FROM endpoints WHERE tenant_id = ?)").run(id);
        ctx.sql("DELETE FROM endpoint_queue WHERE tenant_id = ?").run(id);
        // Its other tasks end; the rows of endpoints whose own deletion had not finished become this task's work.
        const ended = failActiveTasks(ctx, "tenant_id = ?", [id], "the tenant was deleted", now);
        const endpointIds = ended.filter((t) => t.kind === "endpoint.delete").map((t) => t.endpoint_id);
        const queued = newDeletionTask(taskId, "tenant.delete", id, "", { endpointIds }, now);
        new SqliteTasks(ctx).insert(queued);
        if (audit) ctx.audit(auditEntryFor(audit, { type: "tenant", id, tenantId: id }, toTenant(row), null));
        return queued;
      });
      if (task) {
        ctx.subscriptions.invalidate(id);
        ctx.endpointsChanged(id);
      }
      return task;
    },
  };
}
