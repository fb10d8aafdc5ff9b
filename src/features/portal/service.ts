/**
 * Portal sessions: created by the admin key or a tenant key, opened by the portal page through a one-time link token
 * that it exchanges for a session token, refreshed by the embedding application, revoked one at a time or all of a
 * tenant's at once. Tokens are 32 random bytes behind a recognisable prefix; only their SHA-256 hashes are stored.
 * Every change is written to the tenant's audit log with the acting key (or session) as actor.
 */
import { randomBytes } from "node:crypto";
import { newId } from "../../domain/ids.ts";
import type { JsonObject, Page } from "../../domain/types.ts";
import { AppError } from "../../errors/app-error.ts";
import { hashApiKey } from "../../http/auth.ts";
import { PORTAL_LINK_PREFIX, PORTAL_TOKEN_PREFIX, portalSessionRefusal } from "../../http/portal-principal.ts";
import type { PortalScopeLookups } from "../../http/portal-scope.ts";
import type { PortalSession, PortalSettings } from "../../store/ports/portal-sessions.ts";
import type { AuditTargetType, PageRequest, Store } from "../../store/store.ts";
import { DEFAULT_PORTAL_TTL_S } from "./schemas.ts";

/** Expired sessions stay listed-as-expired for a day (for the audit trail's sake), then go when new ones are made. */
const KEEP_EXPIRED_MS = 86_400_000;
const CLEANUP_BATCH = 100;

export interface CreatePortalSession {
  ttl_s?: number;
  read_only?: boolean;
  endpoint_ids?: string[];
}

export interface CreatedPortalSession {
  session: PortalSession;
  /** `/portal/t/{tenant}/#token=hkpl_...` */
  path: string;
}

function token(prefix: string): string {
  return `${prefix}${randomBytes(32).toString("base64url")}`;
}

function snapshot(s: PortalSession): JsonObject {
  return { read_only: s.readOnly, endpoint_ids: s.endpointIds, expires_at: s.expiresAt, revoked_at: s.revokedAt };
}

export class PortalService implements PortalScopeLookups {
  constructor(
    private readonly store: Store,
    private readonly now: () => number = Date.now,
  ) {}

  private async audit(
    tenantId: string,
    actor: string,
    action: string,
    target: { type: AuditTargetType; id: string },
    before: JsonObject | null,
    after: JsonObject | null,
  ): Promise<void> {
    await this.store.insertAuditEntry({
      id: newId("aud"),
      tenantId,
      actorKeyId: actor,
      action,
      targetType: target.type,
      targetId: target.id,
      before,
      after,
      createdAt: this.now(),
    });
  }

  private async tenantExists(tenantId: string) {
    const tenant = await this.store.getTenant(tenantId);
    if (!tenant) throw new AppError("TENANT_NOT_FOUND", `tenant ${tenantId} not found`);
    return tenant;
  }

  async create(tenantId: string, input: CreatePortalSession, actor: string): Promise<CreatedPortalSession> {
    await this.tenantExists(tenantId);
    for (const id of input.endpoint_ids ?? []) {
      if (!(await this.store.getEndpoint(tenantId, id))) throw new AppError("ENDPOINT_NOT_FOUND", `endpoint ${id} not found`);
    }
    const now = this.now();
    const link = token(PORTAL_LINK_PREFIX);
    const session: PortalSession = {
      id: newId("ps"),
      tenantId,
      readOnly: input.read_only ?? false,
      endpointIds: input.endpoint_ids ?? null,
      createdBy: actor,
      createdAt: now,
      expiresAt: now + (input.ttl_s ?? DEFAULT_PORTAL_TTL_S) * 1000,
      exchangedAt: null,
      revokedAt: null,
      lastUsedAt: null,
    };
    await this.store.portalSessions.deleteExpired(tenantId, now - KEEP_EXPIRED_MS, CLEANUP_BATCH);
    if (!(await this.store.portalSessions.insert({ ...session, linkHash: hashApiKey(link) }))) {
      throw new AppError("TENANT_NOT_FOUND", `tenant ${tenantId} not found`);
    }
    await this.audit(tenantId, actor, "portal_session.created", { type: "portal_session", id: session.id }, null, snapshot(session));
    return { session, path: `/portal/t/${encodeURIComponent(tenantId)}/#token=${link}` };
  }

  async list(tenantId: string, page: PageRequest): Promise<Page<PortalSession>> {
    await this.tenantExists(tenantId);
    return this.store.portalSessions.list(tenantId, this.now(), page);
  }

  async get(tenantId: string, id: string): Promise<PortalSession> {
    await this.tenantExists(tenantId);
    const session = await this.store.portalSessions.get(tenantId, id);
    if (!session) throw new AppError("PORTAL_SESSION_NOT_FOUND", `portal session ${id} not found`);
    return session;
  }

  async refresh(tenantId: string, id: string, ttlS: number | undefined, actor: string): Promise<PortalSession> {
    const before = await this.get(tenantId, id);
    const now = this.now();
    const refusal = portalSessionRefusal(before, now);
    if (refusal) throw new AppError("PORTAL_SESSION_ENDED", `portal session ${id} cannot be refreshed: ${refusal}`);
    const after = await this.store.portalSessions.refresh(tenantId, id, now + (ttlS ?? DEFAULT_PORTAL_TTL_S) * 1000, now);
    if (!after) throw new AppError("PORTAL_SESSION_ENDED", `portal session ${id} ended meanwhile`);
    await this.audit(tenantId, actor, "portal_session.refreshed", { type: "portal_session", id }, snapshot(before), snapshot(after));
    return after;
  }

  async revoke(tenantId: string, id: string, actor: string): Promise<void> {
    const before = await this.get(tenantId, id);
    const after = await this.store.portalSessions.revoke(tenantId, id, this.now());
    if (!after) throw new AppError("PORTAL_SESSION_NOT_FOUND", `portal session ${id} not found`);
    if (before.revokedAt === null) {
      await this.audit(tenantId, actor, "portal_session.revoked", { type: "portal_session", id }, snapshot(before), snapshot(after));
    }
  }

  async revokeAll(tenantId: string, actor: string): Promise<number> {
    await this.tenantExists(tenantId);
    const count = await this.store.portalSessions.revokeAll(tenantId, this.now());
    if (count > 0) {
      await this.audit(tenantId, actor, "portal_session.revoked_all", { type: "tenant", id: tenantId }, null, { count });
    }
    return count;
  }

  /** The portal page's exchange: a one-time link token for a session token. */
  async exchange(linkToken: string): Promise<{ session: PortalSession; sessionToken: string; tenant: { id: string; name: string } }> {
    const sessionToken = token(PORTAL_TOKEN_PREFIX);
    const session = linkToken.startsWith(PORTAL_LINK_PREFIX)
      ? await this.store.portalSessions.exchange(hashApiKey(linkToken), hashApiKey(sessionToken), this.now())
      : null;
    if (!session) {
      throw new AppError(
        "UNAUTHORIZED",
        "this portal link is not valid: it was opened already, has expired or was revoked; open the portal again from the application",
      );
    }
    const tenant = await this.tenantExists(session.tenantId);
    return { session, sessionToken, tenant: { id: tenant.id, name: tenant.name } };
  }

  async self(sessionId: string, tenantId: string) {
    const session = await this.get(tenantId, sessionId);
    const tenant = await this.tenantExists(tenantId);
    return { session, tenant: { id: tenant.id, name: tenant.name } };
  }

  async getSettings(tenantId: string): Promise<PortalSettings | null> {
    await this.tenantExists(tenantId);
    return this.store.portalSessions.getSettings(tenantId);
  }

  async putSettings(tenantId: string, frameAncestors: string[], actor: string): Promise<PortalSettings> {
    const before = await this.getSettings(tenantId);
    const settings: PortalSettings = { tenantId, frameAncestors, updatedAt: this.now() };
    if (!(await this.store.portalSessions.putSettings(settings))) {
      throw new AppError("TENANT_NOT_FOUND", `tenant ${tenantId} not found`);
    }
    await this.audit(
      tenantId,
      actor,
      "portal_settings.updated",
      { type: "tenant", id: tenantId },
      before ? { frame_ancestors: before.frameAncestors } : null,
      { frame_ancestors: frameAncestors },
    );
    return settings;
  }

  /** The origins that may frame the tenant's portal page; none for an unknown tenant. */
  async frameAncestors(tenantId: string): Promise<string[]> {
    return (await this.store.portalSessions.getSettings(tenantId))?.frameAncestors ?? [];
  }

  async deliveryEndpoint(tenantId: string, deliveryId: string): Promise<string | null> {
    return (await this.store.getDelivery(tenantId, deliveryId))?.endpointId ?? null;
  }

  async taskEndpoint(tenantId: string, taskId: string): Promise<string | null> {
    return (await this.store.getTask(tenantId, taskId))?.endpointId ?? null;
  }
}
