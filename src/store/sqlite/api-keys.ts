/** API keys and the audit log (SQLite). */
import type { Page } from "../../domain/types.ts";
import { toPage } from "../paging.ts";
import { type ApiKeyRow, type AuditRow, auditEntryFor, toApiKey, toAuditEntry } from "../rows.ts";
import type { ApiKeysPort } from "../ports/api-keys.ts";
import type { AuditEntry } from "../ports/api-keys.ts";
import type { SqliteContext } from "./context.ts";

export function sqliteApiKeys(ctx: SqliteContext): ApiKeysPort {
  return {
    async countApiKeys() {
      return (ctx.sql("SELECT count(*) AS n FROM api_keys").get() as { n: number }).n;
    },

    async putApiKey(key) {
      ctx
        .sql(
          `INSERT INTO api_keys (id, tenant_id, hash, created_at) VALUES (?, ?, ?, ?)
           ON CONFLICT (id) DO UPDATE SET hash = excluded.hash`,
        )
        .run(key.id, key.tenantId, key.hash, key.createdAt);
    },

    async findApiKeyByHash(hash) {
      const row = ctx.sql("SELECT * FROM api_keys WHERE hash = ?").get(hash) as ApiKeyRow | undefined;
      return row ? toApiKey(row) : null;
    },

    async insertApiKey(key, audit) {
      ctx.write(() => {
        ctx
          .sql("INSERT INTO api_keys (id, tenant_id, hash, created_at) VALUES (?, ?, ?, ?)")
          .run(key.id, key.tenantId, key.hash, key.createdAt);
        if (audit) {
          const after = { ...key, revokedAt: null, lastUsedAt: null };
          ctx.audit(auditEntryFor(audit, { type: "api_key", id: key.id, tenantId: key.tenantId }, null, after));
        }
      });
    },

    async listApiKeys(tenantId, page) {
      const rows = ctx
        .sql("SELECT * FROM api_keys WHERE tenant_id = ? AND id > ? ORDER BY id LIMIT ?")
        .all(tenantId, page.after ?? "", page.limit + 1) as ApiKeyRow[];
      return toPage(rows.map(toApiKey), page.limit);
    },

    async revokeApiKey(tenantId, id, now, audit) {
      return ctx.write(() => {
        const row = ctx.sql("SELECT * FROM api_keys WHERE tenant_id = ? AND id = ?").get(tenantId, id) as
          | ApiKeyRow
          | undefined;
        if (!row) return null;
        const before = toApiKey(row);
        if (before.revokedAt !== null) return before;
        ctx.sql("UPDATE api_keys SET revoked_at = ? WHERE id = ?").run(now, id);
        const after = { ...before, revokedAt: now };
        if (audit) ctx.audit(auditEntryFor(audit, { type: "api_key", id, tenantId }, before, after));
        return after;
      });
    },

    async touchApiKey(id, now) {
      ctx.sql("UPDATE api_keys SET last_used_at = ? WHERE id = ?").run(now, id);
    },

    async insertAuditEntry(entry) {
      ctx.audit(entry);
    },

    async listAuditLog(tenantId, since, page): Promise<Page<AuditEntry>> {
      const rows = page.after
        ? ctx
            .sql("SELECT * FROM audit_log WHERE tenant_id = ? AND created_at >= ? AND id < ? ORDER BY id DESC LIMIT ?")
            .all(tenantId, since, page.after, page.limit + 1)
        : ctx
            .sql("SELECT * FROM audit_log WHERE tenant_id = ? AND created_at >= ? ORDER BY id DESC LIMIT ?")
            .all(tenantId, since, page.limit + 1);
      return toPage((rows as AuditRow[]).map(toAuditEntry), page.limit);
    },
  };
}
