/**
 * The portal-session and portal-settings port (src/store/ports/portal-sessions.ts), the same checks on SQLite and
 * PostgreSQL: a link is exchanged at most once even when two exchanges race, only live sessions exchange, refresh
 * and appear in the listing, revocation keeps its first time, revoke-all touches only live sessions of one tenant,
 * cleanup removes only long-expired rows of that tenant, settings need an existing tenant, and everything goes
 * with its tenant.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newId } from "../../src/domain/ids.ts";
import type { NewPortalSession } from "../../src/store/ports/portal-sessions.ts";
import type { Store } from "../../src/store/store.ts";
import { createTestDatabase, STORE_KINDS, type TestDatabase } from "../support/stores.ts";
import { T0, tenant } from "./fixtures.ts";
import { deleteTenantNow } from "../support/deletions.ts";

function session(tenantId: string, over: Partial<NewPortalSession> = {}): NewPortalSession {
  return {
    id: newId("ps"),
    tenantId,
    linkHash: `link-${newId("ps")}`,
    readOnly: false,
    endpointIds: null,
    createdBy: "key_test",
    createdAt: T0,
    expiresAt: T0 + 3_600_000,
    exchangedAt: null,
    revokedAt: null,
    lastUsedAt: null,
    ...over,
  };
}

describe.each(STORE_KINDS)("portal sessions port (%s)", (kind) => {
  let db: TestDatabase;
  let store: Store;

  beforeAll(async () => {
    db = await createTestDatabase(kind);
    store = await db.open();
  });
  afterAll(async () => {
    await store?.close();
    await db?.destroy();
  });

  async function newTenant(): Promise<string> {
    const id = newId("ten").toLowerCase();
    expect(await store.insertTenant(tenant(id))).toBe(true);
    return id;
  }

  it("exchanges a link once, even when two exchanges race, and finds the session by its token", async () => {
    const t = await newTenant();
    const s = session(t, { readOnly: true, endpointIds: ["ep_a", "ep_b"] });
    expect(await store.portalSessions.insert(s)).toBe(true);
    const results = await Promise.all([
      store.portalSessions.exchange(s.linkHash, "token-1", T0 + 10),
      store.portalSessions.exchange(s.linkHash, "token-2", T0 + 10),
    ]);
    const won = results.filter((r) => r !== null);
    expect(won).toHaveLength(1);
    expect(won[0]).toMatchObject({ id: s.id, readOnly: true, endpointIds: ["ep_a", "ep_b"], exchangedAt: T0 + 10 });
    const token = results[0] ? "token-1" : "token-2";
    expect((await store.portalSessions.findByToken(token))?.id).toBe(s.id);
    expect(await store.portalSessions.findByToken(token === "token-1" ? "token-2" : "token-1")).toBeNull();
    expect(await store.portalSessions.exchange(s.linkHash, "token-3", T0 + 20)).toBeNull();
  });

  it("refuses to exchange or refresh an expired or revoked session, and lists only unexpired ones", async () => {
    const t = await newTenant();
    const expired = session(t, { expiresAt: T0 + 5 });
    const revoked = session(t);
    const live = session(t);
    for (const s of [expired, revoked, live]) expect(await store.portalSessions.insert(s)).toBe(true);
    expect(await store.portalSessions.exchange(expired.linkHash, "x1", T0 + 5)).toBeNull();
    expect((await store.portalSessions.revoke(t, revoked.id, T0 + 1))?.revokedAt).toBe(T0 + 1);
    expect((await store.portalSessions.revoke(t, revoked.id, T0 + 2))?.revokedAt).toBe(T0 + 1);
    expect(await store.portalSessions.exchange(revoked.linkHash, "x2", T0 + 3)).toBeNull();
    expect(await store.portalSessions.refresh(t, revoked.id, T0 + 9_000_000, T0 + 3)).toBeNull();
    expect(await store.portalSessions.refresh(t, expired.id, T0 + 9_000_000, T0 + 6)).toBeNull();
    expect((await store.portalSessions.refresh(t, live.id, T0 + 9_000_000, T0 + 6))?.expiresAt).toBe(T0 + 9_000_000);
    const listed = await store.portalSessions.list(t, T0 + 6, { limit: 10, after: null });
    expect(listed.data.map((s) => s.id).sort()).toEqual([revoked.id, live.id].sort());
    const paged = await store.portalSessions.list(t, T0 + 6, { limit: 1, after: null });
    expect(paged.data).toHaveLength(1);
    expect(paged.nextCursor).toBe(paged.data[0]!.id);
  });

  it("revokes every live session of one tenant only, and cleans up only that tenant's long-expired rows", async () => {
    const t = await newTenant();
    const other = await newTenant();
    const a = session(t);
    const b = session(t);
    const old = session(t, { expiresAt: T0 - 100 });
    const theirs = session(other);
    const theirsOld = session(other, { expiresAt: T0 - 100 });
    for (const s of [a, b, old, theirs, theirsOld]) expect(await store.portalSessions.insert(s)).toBe(true);
    expect(await store.portalSessions.revokeAll(t, T0)).toBe(2);
    expect(await store.portalSessions.revokeAll(t, T0 + 1)).toBe(0);
    expect((await store.portalSessions.get(other, theirs.id))?.revokedAt).toBeNull();
    expect(await store.portalSessions.get(t, theirs.id)).toBeNull();
    expect(await store.portalSessions.deleteExpired(t, T0, 10)).toBe(1);
    expect(await store.portalSessions.get(t, old.id)).toBeNull();
    expect(await store.portalSessions.get(other, theirsOld.id)).not.toBeNull();
    await store.portalSessions.touch(a.id, T0 + 50);
    expect((await store.portalSessions.get(t, a.id))?.lastUsedAt).toBe(T0 + 50);
  });

  it("keeps settings per tenant, needs the tenant, and drops everything with it", async () => {
    const t = await newTenant();
    expect(await store.portalSessions.getSettings(t)).toBeNull();
    expect(await store.portalSessions.putSettings({ tenantId: t, frameAncestors: ["https://a.example"], updatedAt: T0 })).toBe(true);
    expect(await store.portalSessions.putSettings({ tenantId: t, frameAncestors: [], updatedAt: T0 + 1 })).toBe(true);
    expect(await store.portalSessions.getSettings(t)).toEqual({ tenantId: t, frameAncestors: [], updatedAt: T0 + 1 });
    expect(await store.portalSessions.putSettings({ tenantId: "no-such", frameAncestors: [], updatedAt: T0 })).toBe(false);
    expect(await store.portalSessions.insert(session("no-such"))).toBe(false);
    const s = session(t);
    expect(await store.portalSessions.insert(s)).toBe(true);
    expect(await deleteTenantNow(store, t)).toBe(true);
    expect(await store.portalSessions.getSettings(t)).toBeNull();
    expect(await store.portalSessions.get(t, s.id)).toBeNull();
  });
});
