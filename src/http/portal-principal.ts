/**
 * Authenticates portal session tokens (`hkps_...`), the credentials the tenant portal's pages send. Unlike API keys
 * they are never cached: every request reads the session row by the token's hash (one unique-index lookup), so a
 * revocation or an expiry is refused at once by every API process sharing the database, not a cache period later.
 * The portal is driven by people and a slow poll, so the read costs little. last_used_at is written at most once a
 * minute per session, judged from the row itself, so no process memory is involved either.
 */
import type { FastifyBaseLogger } from "fastify";
import { AppError } from "../errors/app-error.ts";
import type { PortalSession } from "../store/ports/portal-sessions.ts";
import type { Store } from "../store/store.ts";

/** The session token the portal page gets from the exchange and sends as `Authorization: Bearer hkps_...`. */
export const PORTAL_TOKEN_PREFIX = "hkps_";
/** The one-time link token in the portal URL's fragment (`#token=hkpl_...`). */
export const PORTAL_LINK_PREFIX = "hkpl_";

const TOUCH_EVERY_MS = 60_000;

export interface PortalPrincipal {
  kind: "portal";
  /** The session id: what the audit log records as the actor. */
  keyId: string;
  tenantId: string;
  readOnly: boolean;
  /** The endpoints the session may see; null for all of its tenant's. */
  endpointIds: readonly string[] | null;
}

export function isPortalToken(key: string): boolean {
  return key.startsWith(PORTAL_TOKEN_PREFIX);
}

/** Why a stored session no longer authenticates, or null while it does. */
export function portalSessionRefusal(session: PortalSession, now: number): string | null {
  if (session.revokedAt !== null) return "the portal session was revoked; open the portal again from the application";
  if (session.expiresAt <= now) return "the portal session expired; open the portal again from the application";
  return null;
}

export async function portalPrincipal(
  store: Store,
  tokenHash: string,
  now: number,
  log?: FastifyBaseLogger,
): Promise<PortalPrincipal> {
  const session = await store.portalSessions.findByToken(tokenHash);
  if (!session) throw new AppError("UNAUTHORIZED", "the portal session token is not valid");
  const refusal = portalSessionRefusal(session, now);
  if (refusal) throw new AppError("UNAUTHORIZED", refusal);
  if (now - (session.lastUsedAt ?? 0) >= TOUCH_EVERY_MS) {
    store.portalSessions.touch(session.id, now).catch((err: unknown) => {
      log?.warn({ err, session_id: session.id }, "could not record portal session use");
    });
  }
  return {
    kind: "portal",
    keyId: session.id,
    tenantId: session.tenantId,
    readOnly: session.readOnly,
    endpointIds: session.endpointIds,
  };
}
