import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { hashApiKey } from "../../http/auth.ts";
import type { Store } from "../../store/store.ts";
import { createTestDatabase, type TestDatabase } from "../../../test/support/stores.ts";
import { ENV_ADMIN_KEY_ID, ensureAdminKey } from "./bootstrap.ts";

describe("ensureAdminKey", () => {
  let db: TestDatabase;
  let store: Store;
  beforeEach(async () => {
    db = await createTestDatabase("sqlite");
    store = await db.open();
  });
  afterEach(async () => {
    await store.close();
    await db.destroy();
  });

  it("mints one admin key on an empty store and keeps only its hash", async () => {
    const key = await ensureAdminKey(store, null, 1);
    expect(key).toMatch(/^hk_admin_[A-Za-z0-9_-]{43}$/);
    const found = await store.findApiKeyByHash(hashApiKey(key ?? ""));
    expect(found).toMatchObject({ tenantId: null });
    expect(found?.hash).not.toContain(key);
    // A second start finds a key and mints nothing.
    expect(await ensureAdminKey(store, null, 2)).toBeNull();
    expect(await store.countApiKeys()).toBe(1);
  });

  it("makes HOOKD_ADMIN_KEY the admin key, replacing a previous env key", async () => {
    expect(await ensureAdminKey(store, "first-admin-key-0123", 1)).toBeNull();
    expect((await store.findApiKeyByHash(hashApiKey("first-admin-key-0123")))?.id).toBe(ENV_ADMIN_KEY_ID);
    await ensureAdminKey(store, "second-admin-key-0123", 2);
    expect(await store.findApiKeyByHash(hashApiKey("first-admin-key-0123"))).toBeNull();
    expect((await store.findApiKeyByHash(hashApiKey("second-admin-key-0123")))?.id).toBe(ENV_ADMIN_KEY_ID);
  });
});
