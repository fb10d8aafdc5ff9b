/**
 * Bearer-key authentication. A key is looked up by its SHA-256 hash (keys are long random strings, so a fast hash
 * is enough and the plain key is never stored). The result is a Principal: admin keys reach everything; tenant keys
 * (tenantId set) reach only their own tenant's routes, and any other tenant looks exactly like a missing one.
 *
 * Lookups are cached for AUTH_CACHE_TTL_MS per process so a hot API does not read the key table on every request.
 * The cache must not outlive a revoked key or a deleted tenant: revoking a key, deleting a tenant and creating one
 * are announced to every process (store KeyChangeBus: NOTIFY on PostgreSQL), and each drops the matching entries
 * at once (applyChange). A process whose notification connection was lost drops its whole cache when it is back.
 * Creating a tenant counts too, so no cached key of an earlier tenant with the same id can ever reach the new one.
 * The TTL remains the bound if an announcement itself fails. A cache miss is also when last_used_at is written, so
 * that column costs one small write per key per process every few seconds at most.
 *
 * Portal session tokens (`hkps_...`, http/portal-principal.ts) authenticate too, as a principal confined to one
 * tenant like a tenant key and further narrowed by http/portal-scope.ts (read-only, endpoint ids, and only the routes
 * the portal needs). They bypass the cache, so revoking one is immediate in every process.
 */
import { createHash } from "node:crypto";
import type { FastifyBaseLogger, FastifyRequest } from "fastify";
import { AppError } from "../errors/app-error.ts";
import type { KeyChange } from "../store/ports/key-changes.ts";
import type { Store } from "../store/store.ts";
import { LRUCache } from "lru-cache";
import { isPortalToken, type PortalPrincipal, portalPrincipal } from "./portal-principal.ts";

export type Principal =
  | { kind: "admin"; keyId: string }
  | { kind: "tenant"; keyId: string; tenantId: string }
  | PortalPrincipal;

export const AUTH_CACHE_TTL_MS = 5_000;
const CACHE_MAX = 1_000;
/** `Bearer ` and a key of printable ASCII; anything else is refused before any lookup. */
const BEARER = /^Bearer ([\x21-\x7e]{16,256})$/i;

export function hashApiKey(key: string): string {
  return createHash("sha256").update(key).digest("hex");
}

export class Authenticator {
  /** By key hash; the least recently used entries go first when it is full. */
  private readonly cache = new LRUCache<string, { principal: Principal | null; at: number }>({ max: CACHE_MAX });
  /** The answer for a request already authenticated (by the onRequest hook), so handlers do not look it up twice. */
  private readonly byRequest = new WeakMap<FastifyRequest, Principal>();

  constructor(
    private readonly store: Store,
    private readonly log?: FastifyBaseLogger,
    private readonly now: () => number = Date.now,
  ) {}

  async authenticate(request: FastifyRequest): Promise<Principal> {
    const known = this.byRequest.get(request);
    if (known) return known;
    const principal = await this.lookup(request);
    this.byRequest.set(request, principal);
    return principal;
  }

  private async lookup(request: FastifyRequest): Promise<Principal> {
    const header = request.headers.authorization;
    if (typeof header !== "string" || header.trim() === "") {
      throw new AppError("UNAUTHORIZED", "no API key: send the header Authorization: Bearer <api key>");
    }
    const match = BEARER.exec(header);
    if (!match?.[1]) {
      throw new AppError("UNAUTHORIZED", "the Authorization header must be `Bearer <api key>` with a key hookd issued");
    }
    const hash = hashApiKey(match[1]);
    const now = this.now();
    if (isPortalToken(match[1])) return portalPrincipal(this.store, hash, now, this.log);
    let entry = this.cache.get(hash);
    if (!entry || now - entry.at > AUTH_CACHE_TTL_MS) {
      const key = await this.store.findApiKeyByHash(hash);
      const principal: Principal | null =
        !key || key.revokedAt !== null
          ? null
          : key.tenantId === null
            ? { kind: "admin", keyId: key.id }
            : { kind: "tenant", keyId: key.id, tenantId: key.tenantId };
      entry = { principal, at: now };
      this.cache.set(hash, entry);
      if (principal) {
        // Best effort: a failed timestamp write must never fail the request it describes.
        this.store.touchApiKey(principal.keyId, now).catch((err: unknown) => {
          this.log?.warn({ err, key_id: principal.keyId }, "could not record API key use");
        });
      }
    }
    if (!entry.principal) throw new AppError("UNAUTHORIZED", "the API key is not valid: it is unknown or was revoked");
    return entry.principal;
  }

  /** Drops every cached lookup of the key, so a revoked key is refused by this process from the next request on. */
  forget(keyId: string): void {
    for (const [hash, entry] of this.cache.entries()) {
      if (entry.principal?.keyId === keyId) this.cache.delete(hash);
    }
  }

  /** Drops every cached key of the tenant (deleted, or created anew with an id used before). */
  forgetTenant(tenantId: string): void {
    for (const [hash, entry] of this.cache.entries()) {
      if (entry.principal?.kind === "tenant" && entry.principal.tenantId === tenantId) this.cache.delete(hash);
    }
  }

  /** Applies a change announced by any process (store KeyChangeBus). */
  applyChange(change: KeyChange): void {
    if (change === "*") this.cache.clear();
    else if (change.startsWith("key:")) this.forget(change.slice(4));
    else if (change.startsWith("tenant:")) this.forgetTenant(change.slice(7));
  }
}

export function requireAdmin(principal: Principal): void {
  if (principal.kind !== "admin") throw new AppError("FORBIDDEN", "this action needs the admin key");
}

/** A tenant key (or portal session) asking for another tenant gets the same 404 as for a tenant that does not exist. */
export function requireTenantAccess(principal: Principal, tenantId: string): void {
  if (principal.kind !== "admin" && principal.tenantId !== tenantId) {
    throw new AppError("TENANT_NOT_FOUND", `tenant ${tenantId} not found`);
  }
}

/**
 * For admin-only actions on one tenant (delete it, mint its keys): another tenant's key gets the 404 first, so the
 * 403 never tells it that the tenant exists; only the tenant's own key learns that it lacks the right.
 */
export function requireAdminForTenant(principal: Principal, tenantId: string): void {
  requireTenantAccess(principal, tenantId);
  requireAdmin(principal);
}
