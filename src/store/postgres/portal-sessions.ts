/**
 * Portal sessions and portal settings on PostgreSQL (the port: store/ports/portal-sessions.ts). Each call is one
 * statement; the exchange is a single conditional UPDATE, so two requests with one link cannot both win.
 */
import type pg from "pg";
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

export class PostgresPortalSessions implements PortalSessionStore {
  constructor(private readonly pool: pg.Pool) {}

  private async one(text: string, values: unknown[]): Promise<PortalSession | null> {
    const { rows } = await this.pool.query<PortalSessionRow>(text, values);
    return rows[0] ? toPortalSession(rows[0]) : null;
  }

  async insert(s: NewPortalSession): Promise<boolean> {
    const { rowCount } = await this.pool.query(
      `INSERT INTO portal_sessions (id, tenant_id, link_hash, read_only, endpoint_ids, created_by, created_at, expires_at)
       SELECT $1, id, $2, $3, $4::jsonb, $5, $6, $7 FROM tenants WHERE id = $8 AND deleting_at IS NULL`,
      [
        s.id,
        s.linkHash,
        s.readOnly,
        s.endpointIds === null ? null : JSON.stringify(s.endpointIds),
        s.createdBy,
        s.createdAt,
        s.expiresAt,
        s.tenantId,
      ],
    );
    return rowCount === 1;
  }

  exchange(linkHash: string, tokenHash: string, now: number): Promise<PortalSession | null> {
    return this.one(
      `UPDATE portal_sessions SET token_hash = $1, link_hash = NULL, exchanged_at = $2, last_used_at = $2
       WHERE link_hash = $3 AND revoked_at IS NULL AND expires_at > $2 RETURNING *`,
      [tokenHash, now, linkHash],
    );
  }

  findByToken(tokenHash: string): Promise<PortalSession | null> {
    return this.one("SELECT * FROM portal_sessions WHERE token_hash = $1", [tokenHash]);
  }

  get(tenantId: string, id: string): Promise<PortalSession | null> {
    return this.one("SELECT * FROM portal_sessions WHERE tenant_id = $1 AND id = $2", [tenantId, id]);
  }

  async list(tenantId: string, now: number, page: PageRequest): Promise<Page<PortalSession>> {
    const { rows } = await this.pool.query<PortalSessionRow>(
      "SELECT * FROM portal_sessions WHERE tenant_id = $1 AND id > $2 AND expires_at > $3 ORDER BY id LIMIT $4",
      [tenantId, page.after ?? "", now, page.limit + 1],
    );
    return toPage(rows.map(toPortalSession), page.limit);
  }

  refresh(tenantId: string, id: string, expiresAt: number, now: number): Promise<PortalSession | null> {
    return this.one(
      `UPDATE portal_sessions SET expires_at = $1
       WHERE tenant_id = $2 AND id = $3 AND revoked_at IS NULL AND expires_at > $4 RETURNING *`,
      [expiresAt, tenantId, id, now],
    );
  }

  revoke(tenantId: string, id: string, now: number): Promise<PortalSession | null> {
    return this.one(
      "UPDATE portal_sessions SET revoked_at = coalesce(revoked_at, $1) WHERE tenant_id = $2 AND id = $3 RETURNING *",
      [now, tenantId, id],
    );
  }

  async revokeAll(tenantId: string, now: number): Promise<number> {
    const { rowCount } = await this.pool.query(
      "UPDATE portal_sessions SET revoked_at = $1 WHERE tenant_id = $2 AND revoked_at IS NULL AND expires_at > $1",
      [now, tenantId],
    );
    return rowCount ?? 0;
  }

  async touch(id: string, now: number): Promise<void> {
    await this.pool.query("UPDATE portal_sessions SET last_used_at = $1 WHERE id = $2", [now, id]);
  }

  async deleteExpired(tenantId: string, before: number, limit: number): Promise<number> {
    const { rowCount } = await this.pool.query(
      `DELETE FROM portal_sessions WHERE id IN (
         SELECT id FROM portal_sessions WHERE tenant_id = $1 AND expires_at < $2 ORDER BY expires_at LIMIT $3
         FOR UPDATE SKIP LOCKED)`,
      [tenantId, before, limit],
    );
    return rowCount ?? 0;
  }

  async getSettings(tenantId: string): Promise<PortalSettings | null> {
    const { rows } = await this.pool.query<PortalSettingsRow>("SELECT * FROM portal_settings WHERE tenant_id = $1", [
      tenantId,
    ]);
    return rows[0] ? toPortalSettings(rows[0]) : null;
  }

  async putSettings(s: PortalSettings): Promise<boolean> {
    const { rowCount } = await this.pool.query(
      `INSERT INTO portal_settings (tenant_id, frame_ancestors, updated_at)
       SELECT id, $1::jsonb, $2 FROM tenants WHERE id = $3 AND deleting_at IS NULL
       ON CONFLICT (tenant_id) DO UPDATE SET frame_ancestors = excluded.frame_ancestors, updated_at = excluded.updated_at`,
      [JSON.stringify(s.frameAncestors), s.updatedAt, s.tenantId],
    );
    return rowCount === 1;
  }
}
