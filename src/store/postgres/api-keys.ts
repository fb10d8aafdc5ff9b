/** API keys and the audit log (PostgreSQL). */
import { toPage } from "../paging.ts";
import { type ApiKeyRow, type AuditRow, auditEntryFor, toApiKey, toAuditEntry } from "../rows.ts";
import type { ApiKeysPort } from "../ports/api-keys.ts";
import type { PostgresContext } from "./context.ts";
import { inTransaction } from "./pool.ts";

export function postgresApiKeys(ctx: PostgresContext): ApiKeysPort {
  const pool = ctx.pool;
  return {
    async countApiKeys() {
      const { rows } = await pool.query<{ n: number }>("SELECT count(*) AS n FROM api_keys");
      return rows[0]?.n ?? 0;
    },

    async putApiKey(key) {
      await pool.query(
        `INSERT INTO api_keys (id, tenant_id, hash, created_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (id) DO UPDATE SET hash = excluded.hash`,
        [key.id, key.tenantId, key.hash, key.createdAt],
      );
    },

    async findApiKeyByHash(hash) {
      const { rows } = await pool.query<ApiKeyRow>("SELECT * FROM api_keys WHERE hash = $1", [hash]);
      return rows[0] ? toApiKey(rows[0]) : null;
    },

    async insertApiKey(key, audit) {
      await inTransaction(pool, async (client) => {
        await client.query("INSERT INTO api_keys (id, tenant_id, hash, created_at) VALUES ($1, $2, $3, $4)", [
          key.id,
          key.tenantId,
          key.hash,
          key.createdAt,
        ]);
        if (audit) {
          const after = { ...key, revokedAt: null, lastUsedAt: null };
          await ctx.audit(client, auditEntryFor(audit, { type: "api_key", id: key.id, tenantId: key.tenantId }, null, after));
        }
      });
    },

    async listApiKeys(tenantId, page) {
      const { rows } = await pool.query<ApiKeyRow>("SELECT * FROM api_keys WHERE tenant_id = $1 AND id > $2 ORDER BY id LIMIT $3", [
        tenantId,
        page.after ?? "",
        page.limit + 1,
      ]);
      return toPage(rows.map(toApiKey), page.limit);
    },

    async revokeApiKey(tenantId, id, now, audit) {
      return inTransaction(pool, async (client) => {
        const { rows } = await client.query<ApiKeyRow>("SELECT * FROM api_keys WHERE tenant_id = $1 AND id = $2 FOR UPDATE", [
          tenantId,
          id,
        ]);
        if (!rows[0]) return null;
        const before = toApiKey(rows[0]);
        if (before.revokedAt !== null) return before;
        await client.query("UPDATE api_keys SET revoked_at = $2 WHERE id = $1", [id, now]);
        const after = { ...before, revokedAt: now };
        if (audit) await ctx.audit(client, auditEntryFor(audit, { type: "api_key", id, tenantId }, before, after));
        return after;
      });
    },

    async touchApiKey(id, now) {
      await pool.query("UPDATE api_keys SET last_used_at = $2 WHERE id = $1", [id, now]);
    },

    async insertAuditEntry(entry) {
      await ctx.audit(pool, entry);
    },

    async listAuditLog(tenantId, since, page) {
      const { rows } = page.after
        ? await pool.query<AuditRow>(
            "SELECT * FROM audit_log WHERE tenant_id = $1 AND created_at >= $2 AND id < $3 ORDER BY id DESC LIMIT $4",
            [tenantId, since, page.after, page.limit + 1],
          )
        : await pool.query<AuditRow>("SELECT * FROM audit_log WHERE tenant_id = $1 AND created_at >= $2 ORDER BY id DESC LIMIT $3", [
            tenantId,
            since,
            page.limit + 1,
          ]);
      return toPage(rows.map(toAuditEntry), page.limit);
    },
  };
}
