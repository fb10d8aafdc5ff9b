/**
 * Makes sure an admin key exists at start-up. HOOKD_ADMIN_KEY, when set, is the admin key (its hash replaces the
 * previous env key's). When it is unset and the store has no key at all, one is generated and printed once; only
 * its hash is kept, so it cannot be shown again. In scale-out, set HOOKD_ADMIN_KEY so that processes starting
 * together on an empty database do not each mint a key.
 */
import { randomBytes } from "node:crypto";
import { newId } from "../../domain/ids.ts";
import { hashApiKey } from "../../http/auth.ts";
import type { Store } from "../../store/store.ts";

export const ENV_ADMIN_KEY_ID = "key_admin_env";

export function generateAdminKey(): string {
  return `hk_admin_${randomBytes(32).toString("base64url")}`;
}

/** @returns the generated key when one was minted (the caller prints it), else null. */
export async function ensureAdminKey(store: Store, configured: string | null, now: number): Promise<string | null> {
  if (configured !== null) {
    await store.putApiKey({ id: ENV_ADMIN_KEY_ID, tenantId: null, hash: hashApiKey(configured), createdAt: now });
    return null;
  }
  if ((await store.countApiKeys()) > 0) return null;
  const key = generateAdminKey();
  await store.putApiKey({ id: newId("key"), tenantId: null, hash: hashApiKey(key), createdAt: now });
  return key;
}

/**
 * Mints one more admin key (the `hookd admin-key create` command): the way back in for an operator who lost the key
 * printed at the first start. Existing keys keep working; revoke a lost one through the API once you are in.
 */
export async function createAdminKey(store: Store, now: number): Promise<{ id: string; key: string }> {
  const key = generateAdminKey();
  const id = newId("key");
  await store.putApiKey({ id, tenantId: null, hash: hashApiKey(key), createdAt: now });
  return { id, key };
}
