/** Tenants (PostgreSQL). Deleting one removes everything it owns in the same transaction; its audit log stays. */
import { parseQuotaOverrides, quotaOverridesToStore } from "../../domain/quotas.ts";
import { toPage } from "../paging.ts";
import { auditEntryFor, type TenantRow, toTenant } from "../rows.ts";
import type { TenantsPort } from "../ports/tenants.ts";
import type { PostgresContext } from "./context.ts";
import { deleteTenantLog } from "./deletion.ts";
import { inTransaction } from "./pool.ts";
import { ENDPOINTS_CHANNEL } from "./work-listener.ts";

export function postgresTenants(ctx: PostgresContext): TenantsPort {
  const pool = ctx.pool;
  return {
    async insertTenant(t, audit) {
      return inTransaction(pool, async (client) => {
        const { rowCount } = await client.query(
          `INSERT INTO tenants (id, name, metadata, oversized_events, quotas, created_at, updated_at) VALUES ($1, $2, $3, $4, $7, $5, $6)
           ON CONFLICT (id) DO NOTHING`,
          [t.id, t.name, JSON.stringify(t.metadata), t.oversizedEvents, t.createdAt, t.updatedAt, quotaOverridesToStore(t.quotas)],
        );
        if (rowCount !== 1) return false;
        if (audit) await ctx.audit(client, auditEntryFor(audit, { type: "tenant", id: t.id, tenantId: t.id }, null, t));
        return true;
      });
    },

    async getTenant(id) {
      const { rows } = await pool.query<TenantRow>("SELECT * FROM tenants WHERE id = $1", [id]);
      return rows[0] ? toTenant(rows[0]) : null;
    },

    async listTenants(page) {
      const { rows } = await pool.query<TenantRow>("SELECT * FROM tenants WHERE id > $1 ORDER BY id LIMIT $2", [
        page.after ?? "",
        page.limit + 1,
      ]);
      return toPage(rows.map(toTenant), page.limit);
    },

    async updateTenant(id, patch, now, audit) {
      return inTransaction(pool, async (client) => {
        const before = await client.query<TenantRow>("SELECT * FROM tenants WHERE id = $1 FOR UPDATE", [id]);
        if (!before.rows[0]) return null;
        const { rows } = await client.query<TenantRow>(
          `UPDATE tenants SET name = COALESCE($2, name), metadata = COALESCE($3::jsonb, metadata),
             oversized_events = COALESCE($5, oversized_events), updated_at = $4,
             quotas = CASE WHEN $6 THEN $7 ELSE quotas END
           WHERE id = $1 RETURNING *`,
          [
            id,
            patch.name ?? null,
            patch.metadata === undefined ? null : JSON.stringify(patch.metadata),
            now,
            patch.oversizedEvents ?? null,
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
         FROM tenants t WHERE t.id = $1`,
        [id],
      );
      const row = rows[0];
      return row ? { quotas: parseQuotaOverrides(row.quotas), storedBytes: Number(row.stored_bytes), endpoints: Number(row.endpoints) } : null;
    },

    async deleteTenant(id, audit) {
      const deleted = await inTransaction(pool, async (client) => {
        // Locked first, so an ingest cannot slip deliveries in between the log's deletion and the tenant's.
        const { rows: found } = await client.query<TenantRow>("SELECT * FROM tenants WHERE id = $1 FOR UPDATE", [id]);
        if (!found[0]) return false;
        await deleteTenantLog(client, id);
        await client.query("DELETE FROM tenants WHERE id = $1", [id]);
        await client.query("SELECT pg_notify($1, $2)", [ENDPOINTS_CHANNEL, id]);
        if (audit) await ctx.audit(client, auditEntryFor(audit, { type: "tenant", id, tenantId: id }, toTenant(found[0]), null));
        return true;
      });
      if (deleted) ctx.subscriptions.invalidate(id);
      return deleted;
    },
  };
}
