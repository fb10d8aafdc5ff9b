/**
 * The store port behind the tenant portal: portal sessions (credentials confined to one tenant, stored as hashes) and
 * each tenant's portal settings. Implemented by store/sqlite/portal-sessions.ts and store/postgres/portal-sessions.ts;
 * test/contract/portal-contract.ts runs the same checks on both.
 */
import type { Page } from "../../domain/types.ts";
import type { PageRequest } from "../store.ts";

export interface PortalSession {
  id: string;
  tenantId: string;
  readOnly: boolean;
  /** The endpoints the session may see; null for every endpoint of the tenant. */
  endpointIds: string[] | null;
  /** The API key (or session) that created it. */
  createdBy: string;
  createdAt: number;
  expiresAt: number;
  /** When the portal page exchanged the link token for the session token; null while the link is unused. */
  exchangedAt: number | null;
  revokedAt: number | null;
  lastUsedAt: number | null;
}

export interface NewPortalSession extends PortalSession {
  /** SHA-256 of the link token that the portal URL carries in its fragment. */
  linkHash: string;
}

export interface PortalSettings {
  tenantId: string;
  /** Origins allowed to frame the portal (CSP frame-ancestors sources). */
  frameAncestors: string[];
  updatedAt: number;
}

export interface PortalSessionStore {
  /** false when the tenant does not exist (nothing written). */
  insert(session: NewPortalSession): Promise<boolean>;
  /**
   * Burns the link token: where `linkHash` names a live session (not revoked, not expired, never exchanged), stores
   * `tokenHash` as its session token and returns the session; otherwise null and nothing changes. Atomic, so two
   * pages racing with one link get one session between them.
   */
  exchange(linkHash: string, tokenHash: string, now: number): Promise<PortalSession | null>;
  /** The session whose session token hashes to `tokenHash`, whatever its state (the caller judges expiry). */
  findByToken(tokenHash: string): Promise<PortalSession | null>;
  get(tenantId: string, id: string): Promise<PortalSession | null>;
  /** Sessions not expired at `now`, revoked ones included, oldest first. */
  list(tenantId: string, now: number, page: PageRequest): Promise<Page<PortalSession>>;
  /** New expiry for a live session; null when it does not exist, was revoked or has expired already. */
  refresh(tenantId: string, id: string, expiresAt: number, now: number): Promise<PortalSession | null>;
  /** Revokes one session (the first revocation time is kept); null when the tenant has no such session. */
  revoke(tenantId: string, id: string, now: number): Promise<PortalSession | null>;
  /** Revokes every live session of the tenant; returns how many. */
  revokeAll(tenantId: string, now: number): Promise<number>;
  /** Records use (called at most once a minute per session). */
  touch(id: string, now: number): Promise<void>;
  /** Deletes up to `limit` of the tenant's sessions that expired before `before`; returns how many. */
  deleteExpired(tenantId: string, before: number, limit: number): Promise<number>;

  getSettings(tenantId: string): Promise<PortalSettings | null>;
  /** Inserts or replaces; false when the tenant does not exist. */
  putSettings(settings: PortalSettings): Promise<boolean>;
}
