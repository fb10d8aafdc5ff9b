/**
 * Row shapes of portal_sessions and portal_settings and their conversion to the domain, shared by both adapters
 * (SQLite keeps booleans as 0/1 and JSON as text; PostgreSQL as boolean and jsonb; bigint columns arrive as numbers).
 */
import type { PortalSession, PortalSettings } from "./ports/portal-sessions.ts";

export interface PortalSessionRow {
  id: string;
  tenant_id: string;
  read_only: number | boolean;
  endpoint_ids: string | string[] | null;
  created_by: string;
  created_at: number | string;
  expires_at: number | string;
  exchanged_at: number | string | null;
  revoked_at: number | string | null;
  last_used_at: number | string | null;
}

export interface PortalSettingsRow {
  tenant_id: string;
  frame_ancestors: string | string[];
  updated_at: number | string;
}

const num = (v: number | string | null): number | null => (v === null ? null : Number(v));
const list = (v: string | string[]): string[] => (typeof v === "string" ? (JSON.parse(v) as string[]) : v);

export function toPortalSession(r: PortalSessionRow): PortalSession {
  return {
    id: r.id,
    tenantId: r.tenant_id,
    readOnly: r.read_only === true || r.read_only === 1,
    endpointIds: r.endpoint_ids === null ? null : list(r.endpoint_ids),
    createdBy: r.created_by,
    createdAt: Number(r.created_at),
    expiresAt: Number(r.expires_at),
    exchangedAt: num(r.exchanged_at),
    revokedAt: num(r.revoked_at),
    lastUsedAt: num(r.last_used_at),
  };
}

export function toPortalSettings(r: PortalSettingsRow): PortalSettings {
  return { tenantId: r.tenant_id, frameAncestors: list(r.frame_ancestors), updatedAt: Number(r.updated_at) };
}
