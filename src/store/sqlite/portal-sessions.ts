/**
 * Portal sessions and portal settings on SQLite (the port: store/ports/portal-sessions.ts).
 */
import type { Statement } from "better-sqlite3";
import type { Page } from "../../domain/types.ts";
import { toPage } from "../paging.ts";
import {
  type PortalSessionRow,
  type PortalSettingsRow,
  toPortalSession,
  toPortalSettings,
} from "../portal-session-rows.ts";
import type { NewPortalSession, PortalSession, PortalSessionStore, PortalSettings } from "../ports/portal-sessions.ts";
import type { PageRequest } from "../store.ts";
import type { SqliteDatabase } from "./open-database.ts";

export class SqlitePortalSessions implements PortalSessionStore {
  constructor(
    private readonly db: SqliteDatabase,
    private readonly sql: (text: string) => Statement<unknown[]>,
  ) {}

  async insert(s: NewPortalSession): Promise<boolean> {
    const { changes } = this.sql(
      `INSERT INTO portal_sessions (id, tenant_id, link_hash, read_only, endpoint_ids, created_by, created_at, expires_at)
       SELECT ?, id, ?, ?, ?, ?, ?, ? FROM tenants WHERE id = ? AND deleting_at IS NULL`,
    ).run(
      s.id,
      s.linkHash,
      s.readOnly ? 1 : 0,
      s.endpointIds === null ? null : JSON.stringify(s.endpointIds),
      s.createdBy,
      s.createdAt,
      s.expiresAt,
      s.tenantId,
    );
    return changes === 1;
  }

  async exchange(linkHash: string, tokenHash: string, now: number): Promise<PortalSession | null> {
    const row = this.sql(
      `UPDATE portal_sessions SET token_hash = ?, link_hash = NULL, exchanged_at = ?, last_used_at = ?
       WHERE link_hash = ? AND revoked_at IS NULL AND expires_at > ? RETURNING *`,
    ).get(tokenHash, now, now, linkHash, now) as PortalSessionRow | undefined;
    return row ? toPortalSession(row) : null;
  }

  async findByToken(tokenHash: string): Promise<PortalSession | null> {
    const row = this.sql("SELECT * FROM portal_sessions WHERE token_hash = ?").get(tokenHash) as PortalSessionRow | undefined;
    return row ? toPortalSession(row) : null;
  }

  async get(tenantId: string, id: string): Promise<PortalSession | null> {
    const row = this.sql("SELECT * FROM portal_sessions WHERE tenant_id = ? AND id = ?").get(tenantId, id) as
      | PortalSessionRow
      | undefined;
    return row ? toPortalSession(row) : null;
  }

  async list(tenantId: string, now: number, page: PageRequest): Promise<Page<PortalSession>> {
    const rows = this.sql(
      "SELECT * FROM portal_sessions WHERE tenant_id = ? AND id > ? AND expires_at > ? ORDER BY id LIMIT ?",
    ).all(tenantId, page.after ?? "", now, page.limit + 1) as PortalSessionRow[];
    return toPage(rows.map(toPortalSession), page.limit);
  }

  async refresh(tenantId: string, id: string, expiresAt: number, now: number): Promise<PortalSession | null> {
    const row = this.sql(
      `UPDATE portal_sessions SET expires_at = ?
       WHERE tenant_id = ? AND id = ? AND revoked_at IS NULL AND expires_at > ? RETURNING *`,
    ).get(expiresAt, tenantId, id, now) as PortalSessionRow | undefined;
    return row ? toPortalSession(row) : null;
  }

  async revoke(tenantId: string, id: string, now: number): Promise<PortalSession | null> {
    const row = this.sql(
      `UPDATE portal_sessions SET revoked_at = coalesce(revoked_at, ?) WHERE tenant_id = ? AND id = ? RETURNING *`,
    ).get(now, tenantId, id) as PortalSessionRow | undefined;
    return row ? toPortalSession(row) : null;
  }

  async revokeAll(tenantId: string, now: number): Promise<number> {
    return this.sql(
      "UPDATE portal_sessions SET revoked_at = ? WHERE tenant_id = ? AND revoked_at IS NULL AND expires_at > ?",
    ).run(now, tenantId, now).changes;
  }

  async touch(id: string, now: number): Promise<void> {
    this.sql("UPDATE portal_sessions SET last_used_at = ? WHERE id = ?").run(now, id);
  }

  async deleteExpired(tenantId: string, before: number, limit: number): Promise<number> {
    return this.sql(
      `DELETE FROM portal_sessions WHERE id IN (
         SELECT id FROM portal_sessions WHERE tenant_id = ? AND expires_at < ? ORDER BY expires_at LIMIT ?)`,
    ).run(tenantId, before, limit).changes;
  }

  async getSettings(tenantId: string): Promise<PortalSettings | null> {
    const row = this.sql("SELECT * FROM portal_settings WHERE tenant_id = ?").get(tenantId) as PortalSettingsRow | undefined;
    return row ? toPortalSettings(row) : null;
  }

  async putSettings(s: PortalSettings): Promise<boolean> {
    const { changes } = this.sql(
      `INSERT INTO portal_settings (tenant_id, frame_ancestors, updated_at)
       SELECT id, ?, ? FROM tenants WHERE id = ? AND deleting_at IS NULL
       ON CONFLICT (tenant_id) DO UPDATE SET frame_ancestors = excluded.frame_ancestors, updated_at = excluded.updated_at`,
    ).run(JSON.stringify(s.frameAncestors), s.updatedAt, s.tenantId);
    return changes === 1;
  }
}
