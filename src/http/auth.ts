/**
 * Bearer-key authentication. A key is looked up by its SHA-256 hash (keys are long random strings, so a fast hash
 * is enough and the plain key is never stored). The result is a Principal: admin keys reach everything; tenant keys
 * (tenantId set) reach only their own tenant's routes, and any other tenant looks exactly like a missing one.
 * Lookups are cached briefly per process so a hot API does not read the key table on every request.
 */
import { createHash } from "node:crypto";
import type { FastifyRequest } from "fastify";
import { AppError } from "../errors/app-error.ts";
import type { Store } from "../store/store.ts";

export type Principal = { kind: "admin"; keyId: string } | { kind: "tenant"; keyId: string; tenantId: string };

const CACHE_TTL_MS = 5_000;
const CACHE_MAX = 1_000;

export function hashApiKey(key: string): string {
  return createHash("sha256").update(key).digest("hex");
}

export class Authenticator {
  private readonly cache = new Map<string, { principal: Principal | null; at: number }>();

  constructor(private readonly store: Store) {}

  async authenticate(request: FastifyRequest): Promise<Principal> {
    const header = request.headers.authorization;
    const match = typeof header === "string" ? /^Bearer ([\x21-\x7e]{16,256})$/.exec(header) : null;
    if (!match?.[1]) throw new AppError("UNAUTHORIZED", "send Authorization: Bearer <api key>");
    const hash = hashApiKey(match[1]);
    const now = Date.now();
    let entry = this.cache.get(hash);
    if (!entry || now - entry.at > CACHE_TTL_MS) {
      const key = await this.store.findApiKeyByHash(hash);
      const principal: Principal | null = key
        ? key.tenantId === null
          ? { kind: "admin", keyId: key.id }
          : { kind: "tenant", keyId: key.id, tenantId: key.tenantId }
        : null;
      if (this.cache.size >= CACHE_MAX) this.cache.clear();
      entry = { principal, at: now };
      this.cache.set(hash, entry);
    }
    if (!entry.principal) throw new AppError("UNAUTHORIZED", "the API key is not valid");
    return entry.principal;
  }
}

export function requireAdmin(principal: Principal): void {
  if (principal.kind !== "admin") throw new AppError("FORBIDDEN", "this action needs the admin key");
}

/** A tenant key asking for another tenant gets the same 404 as for a tenant that does not exist. */
export function requireTenantAccess(principal: Principal, tenantId: string): void {
  if (principal.kind === "tenant" && principal.tenantId !== tenantId) {
    throw new AppError("TENANT_NOT_FOUND", `tenant ${tenantId} not found`);
  }
}
