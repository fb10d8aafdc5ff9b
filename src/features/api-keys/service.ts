/**
 * Tenant API keys. A key is 32 random bytes behind the recognisable prefix `hk_` (so secret scanners and people
 * spot a leaked one), shown once in the create answer and stored only as its SHA-256 hash. Revoking is immediate in
 * every process: it is announced to all of them (see http/auth.ts).
 */
import { randomBytes } from "node:crypto";
import { newId } from "../../domain/ids.ts";
import type { Page } from "../../domain/types.ts";
import { AppError } from "../../errors/app-error.ts";
import type { Authenticator } from "../../http/auth.ts";
import { hashApiKey } from "../../http/auth.ts";
import type { ApiKeyInfo, PageRequest, Store } from "../../store/store.ts";
import { apiKeyAudit } from "../audit/notes.ts";
import type { TenantService } from "../tenants/service.ts";

export const TENANT_KEY_PREFIX = "hk_";

export function generateTenantKey(): string {
  return `${TENANT_KEY_PREFIX}${randomBytes(32).toString("base64url")}`;
}

export class ApiKeyService {
  constructor(
    private readonly store: Store,
    private readonly tenants: TenantService,
    private readonly auth: Authenticator,
    private readonly now: () => number = Date.now,
  ) {}

  /** @returns the stored key and the plain key, which is never available again. */
  async create(tenantId: string, actorKeyId: string): Promise<{ key: ApiKeyInfo; plain: string }> {
    await this.tenants.assertExists(tenantId);
    const plain = generateTenantKey();
    const at = this.now();
    const key: ApiKeyInfo = {
      id: newId("key"),
      tenantId,
      hash: hashApiKey(plain),
      createdAt: at,
      revokedAt: null,
      lastUsedAt: null,
    };
    try {
      await this.store.insertApiKey(key, apiKeyAudit(actorKeyId, "api_key.created", at));
    } catch (err) {
      // The tenant was deleted between the check and the insert: the foreign key refuses the row.
      if (!(await this.store.getTenant(tenantId))) throw new AppError("TENANT_NOT_FOUND", `tenant ${tenantId} not found`);
      throw err;
    }
    return { key, plain };
  }

  async list(tenantId: string, page: PageRequest): Promise<Page<ApiKeyInfo>> {
    await this.tenants.assertExists(tenantId);
    return this.store.listApiKeys(tenantId, page);
  }

  async revoke(tenantId: string, id: string, actorKeyId: string): Promise<ApiKeyInfo> {
    await this.tenants.assertExists(tenantId);
    const at = this.now();
    const key = await this.store.revokeApiKey(tenantId, id, at, apiKeyAudit(actorKeyId, "api_key.revoked", at));
    if (!key) throw new AppError("API_KEY_NOT_FOUND", `API key ${id} not found`);
    // This process and every other one refuse the key from their next request on.
    this.auth.forget(id);
    await this.store.announceKeyChange(`key:${id}`);
    return key;
  }
}
