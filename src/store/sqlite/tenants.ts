/** Tenants (SQLite). Deleting one removes everything it owns in the same transaction; its audit log stays. */
import { parseQuotaOverrides, quotaOverridesToStore } from "../../domain/quotas.ts";
import { auditEntryFor, type TenantRow, toTenant } from "../rows.ts";
import { toPage } from "../paging.ts";
import type { TenantsPort } from "../ports/tenants.ts";
import type { SqliteContext } from "./context.ts";
import { deleteTenantLog } from "./deletion.ts";

export function sqliteTenants(ctx: SqliteContext): TenantsPort {
  return {
    async insertTenant(t, audit) {
      return ctx.write(() => {
        const result = ctx
          .sql(
            `INSERT INTO tenants (id, name, metadata, oversized_events, quotas, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)
             ON CONFLICT (id) DO NOTHING`,
          )
          .run(t.id, t.name, JSON.stringify(t.metadata), t.oversizedEvents, quotaOverridesToStore(t.quotas), t.createdAt, t.updatedAt);
        if (result.changes !== 1) return false;
        if (audit) ctx.audit(auditEntryFor(audit, { type: "tenant", id: t.id, tenantId: t.id }, null, t));
        return true;
      });
    },

    async getTenant(id) {
      const row = ctx.sql("SELECT * FROM tenants WHERE id = ?").get(id) as TenantRow | undefined;
      return row ? toTenant(row) : null;
    },

    async listTenants(page) {
      const rows = ctx
        .sql("SELECT * FROM tenants WHERE id > ? ORDER BY id LIMIT ?")
        .all(page.after ?? "", page.limit + 1) as TenantRow[];
      return toPage(rows.map(toTenant), page.limit);
    },

    async updateTenant(id, patch, now, audit) {
      return ctx.write(() => {
        const row = ctx.sql("SELECT * FROM tenants WHERE id = ?").get(id) as TenantRow | undefined;
        if (!row) return null;
        const before = toTenant(row);
        const next = { ...before, ...patch, updatedAt: now };
        if (audit) ctx.audit(auditEntryFor(audit, { type: "tenant", id, tenantId: id }, before, next));
        ctx
          .sql("UPDATE tenants SET name = ?, metadata = ?, oversized_events = ?, quotas = ?, updated_at = ? WHERE id = ?")
          .run(next.name, JSON.stringify(next.metadata), next.oversizedEvents, quotaOverridesToStore(next.quotas), now, id);
        return next;
      });
    },

    async getTenantUsage(id) {
      const row = ctx
        .sql(
          `SELECT t.quotas,
             (SELECT coalesce(sum(stored_bytes), 0) FROM tenant_usage u WHERE u.tenant_id = t.id) AS stored_bytes,
             (SELECT count(*) FROM endpoints e WHERE e.tenant_id = t.id) AS endpoints
           FROM tenants t WHERE t.id = ?`,
        )
        .get(id) as { quotas: string | null; stored_bytes: number; endpoints: number } | undefined;
      return row ? { quotas: parseQuotaOverrides(row.quotas), storedBytes: row.stored_bytes, endpoints: row.endpoints } : null;
    },

    async deleteTenant(id, audit) {
      const deleted = ctx.write(() => {
        const row = ctx.sql("SELECT * FROM tenants WHERE id = ?").get(id) as TenantRow | undefined;
        if (!row) return false;
        deleteTenantLog(ctx, id);
        ctx.sql("DELETE FROM tenants WHERE id = ?").run(id);
        if (audit) ctx.audit(auditEntryFor(audit, { type: "tenant", id, tenantId: id }, toTenant(row), null));
        return true;
      });
      if (deleted) {
        ctx.subscriptions.invalidate(id);
        ctx.endpointsChanged(id);
      }
      return deleted;
    },
  };
}
