/**
 * Store contract cases for tenant API keys (create, list, revoke, last use) and the audit log (rows written in the
 * same transaction as the change, newest-first pages, survival of tenant deletion). Called from runStoreContract,
 * so both adapters run them.
 */
import { describe, expect, it } from "vitest";
import type { Endpoint, Tenant } from "../../src/domain/types.ts";
import type { ApiKeyInfo, AuditNote, Store } from "../../src/store/store.ts";
import { endpoint, T0, tenant } from "./fixtures.ts";
import { deleteEndpointNow, deleteTenantNow } from "../support/deletions.ts";

function note<T>(action: string, at = T0, snapshot: (row: T) => Record<string, unknown> = () => ({})): AuditNote<T> {
  return { actorKeyId: "key_actor", action, at, snapshot };
}

const tenantNote = (action: string, at = T0) => note<Tenant>(action, at, (t) => ({ name: t.name }));
const endpointNote = (action: string, at = T0) =>
  note<Endpoint>(action, at, (e) => ({ url: e.url, secret: "[redacted]" }));
const keyNote = (action: string, at = T0) => note<ApiKeyInfo>(action, at, (k) => ({ revoked_at: k.revokedAt }));

export function keysAndAuditContract(store: () => Store): void {
  describe("tenant api keys", () => {
    it("inserts, finds by hash, lists a tenant's keys only, and revokes once", async () => {
      const s = store();
      await s.insertTenant(tenant("acme"));
      await s.insertTenant(tenant("other"));
      await s.putApiKey({ id: "key_admin", tenantId: null, hash: "h-admin", createdAt: T0 });
      await s.insertApiKey({ id: "key_a1", tenantId: "acme", hash: "h-a1", createdAt: T0 });
      await s.insertApiKey({ id: "key_a2", tenantId: "acme", hash: "h-a2", createdAt: T0 + 1 });
      await s.insertApiKey({ id: "key_o1", tenantId: "other", hash: "h-o1", createdAt: T0 });
      expect(await s.findApiKeyByHash("h-a1")).toEqual({
        id: "key_a1",
        tenantId: "acme",
        hash: "h-a1",
        createdAt: T0,
        revokedAt: null,
        lastUsedAt: null,
      });

      const p1 = await s.listApiKeys("acme", { limit: 1, after: null });
      expect(p1.data.map((k) => k.id)).toEqual(["key_a1"]);
      const p2 = await s.listApiKeys("acme", { limit: 1, after: p1.nextCursor });
      expect(p2.data.map((k) => k.id)).toEqual(["key_a2"]);
      expect(p2.nextCursor).toBeNull();

      // Another tenant's key is not found through this tenant, and is left alone.
      expect(await s.revokeApiKey("acme", "key_o1", T0 + 10)).toBeNull();
      expect((await s.findApiKeyByHash("h-o1"))?.revokedAt).toBeNull();
      // Admin keys are not reachable through any tenant.
      expect(await s.revokeApiKey("acme", "key_admin", T0 + 10)).toBeNull();

      expect((await s.revokeApiKey("acme", "key_a1", T0 + 10))?.revokedAt).toBe(T0 + 10);
      expect((await s.revokeApiKey("acme", "key_a1", T0 + 20))?.revokedAt).toBe(T0 + 10);
      expect((await s.findApiKeyByHash("h-a1"))?.revokedAt).toBe(T0 + 10);
      expect((await s.findApiKeyByHash("h-a2"))?.revokedAt).toBeNull();
    });

    it("records the last use", async () => {
      const s = store();
      await s.insertTenant(tenant("acme"));
      await s.insertApiKey({ id: "key_a1", tenantId: "acme", hash: "h-a1", createdAt: T0 });
      await s.touchApiKey("key_a1", T0 + 99);
      expect((await s.findApiKeyByHash("h-a1"))?.lastUsedAt).toBe(T0 + 99);
    });

    it("refuses a key for a tenant that does not exist, and drops keys with their tenant", async () => {
      const s = store();
      await expect(s.insertApiKey({ id: "key_x", tenantId: "ghost", hash: "h-x", createdAt: T0 })).rejects.toThrow();
      await s.insertTenant(tenant("acme"));
      await s.insertApiKey({ id: "key_a1", tenantId: "acme", hash: "h-a1", createdAt: T0 });
      await deleteTenantNow(s, "acme");
      expect(await s.findApiKeyByHash("h-a1")).toBeNull();
    });
  });

  describe("audit log", () => {
    it("records tenant, endpoint and key changes with before and after, newest first", async () => {
      const s = store();
      await s.insertTenant(tenant("acme"), tenantNote("tenant.created", T0));
      await s.updateTenant("acme", { name: "Acme Inc" }, T0 + 1, tenantNote("tenant.updated", T0 + 1));
      const ep = endpoint("acme");
      await s.insertEndpoint(ep, endpointNote("endpoint.created", T0 + 2));
      await s.updateEndpoint("acme", ep.id, { url: "https://example.org/x" }, T0 + 3, endpointNote("endpoint.updated", T0 + 3));
      await s.insertApiKey({ id: "key_a1", tenantId: "acme", hash: "h-a1", createdAt: T0 + 4 }, keyNote("api_key.created", T0 + 4));
      await s.revokeApiKey("acme", "key_a1", T0 + 5, keyNote("api_key.revoked", T0 + 5));
      // A second revoke changes nothing and records nothing.
      await s.revokeApiKey("acme", "key_a1", T0 + 6, keyNote("api_key.revoked", T0 + 6));
      await deleteEndpointNow(s, "acme", ep.id, endpointNote("endpoint.deleted", T0 + 7));

      const { data, nextCursor } = await s.listAuditLog("acme", T0, { limit: 50, after: null });
      expect(nextCursor).toBeNull();
      expect(data.map((e) => [e.action, e.targetType, e.createdAt])).toEqual([
        ["endpoint.deleted", "endpoint", T0 + 7],
        ["api_key.revoked", "api_key", T0 + 5],
        ["api_key.created", "api_key", T0 + 4],
        ["endpoint.updated", "endpoint", T0 + 3],
        ["endpoint.created", "endpoint", T0 + 2],
        ["tenant.updated", "tenant", T0 + 1],
        ["tenant.created", "tenant", T0],
      ]);
      const byAction = new Map(data.map((e) => [e.action, e]));
      expect(byAction.get("tenant.created")).toMatchObject({
        tenantId: "acme",
        actorKeyId: "key_actor",
        targetId: "acme",
        before: null,
        after: { name: "Tenant acme" },
      });
      expect(byAction.get("tenant.updated")).toMatchObject({ before: { name: "Tenant acme" }, after: { name: "Acme Inc" } });
      expect(byAction.get("endpoint.updated")).toMatchObject({
        targetId: ep.id,
        before: { url: "https://example.com/hook", secret: "[redacted]" },
        after: { url: "https://example.org/x", secret: "[redacted]" },
      });
      expect(byAction.get("api_key.revoked")).toMatchObject({
        targetId: "key_a1",
        before: { revoked_at: null },
        after: { revoked_at: T0 + 5 },
      });
      expect(byAction.get("endpoint.deleted")).toMatchObject({ before: { url: "https://example.org/x" }, after: null });
    });

    it("pages newest first, filters by tenant and time, and outlives a deleted tenant", async () => {
      const s = store();
      await s.insertTenant(tenant("acme"), tenantNote("tenant.created", T0));
      await s.insertTenant(tenant("other"), tenantNote("tenant.created", T0));
      for (let i = 1; i <= 4; i++) await s.updateTenant("acme", { name: `n${i}` }, T0 + i, tenantNote("tenant.updated", T0 + i));
      const p1 = await s.listAuditLog("acme", T0, { limit: 2, after: null });
      expect(p1.data.map((e) => e.after?.name)).toEqual(["n4", "n3"]);
      const p2 = await s.listAuditLog("acme", T0, { limit: 2, after: p1.nextCursor });
      expect(p2.data.map((e) => e.after?.name)).toEqual(["n2", "n1"]);
      const p3 = await s.listAuditLog("acme", T0, { limit: 2, after: p2.nextCursor });
      expect(p3.data.map((e) => e.action)).toEqual(["tenant.created"]);
      expect(p3.nextCursor).toBeNull();
      expect((await s.listAuditLog("acme", T0 + 3, { limit: 50, after: null })).data).toHaveLength(2);
      expect((await s.listAuditLog("other", T0, { limit: 50, after: null })).data).toHaveLength(1);

      await deleteTenantNow(s, "acme", tenantNote("tenant.deleted", T0 + 9));
      const after = await s.listAuditLog("acme", T0, { limit: 50, after: null });
      expect(after.data[0]).toMatchObject({ action: "tenant.deleted", before: { name: "n4" }, after: null });
      expect(after.data).toHaveLength(6);
    });

    it("writes no audit row when the change does not happen", async () => {
      const s = store();
      await s.insertTenant(tenant("acme"));
      expect(await s.insertTenant(tenant("acme"), tenantNote("tenant.created"))).toBe(false);
      expect(await s.updateTenant("ghost", { name: "x" }, T0, tenantNote("tenant.updated"))).toBeNull();
      expect(await deleteTenantNow(s, "ghost", tenantNote("tenant.deleted"))).toBe(false);
      expect(await s.updateEndpoint("acme", "ep_none", { url: "https://x.example" }, T0, endpointNote("endpoint.updated"))).toBeNull();
      expect(await deleteEndpointNow(s, "acme", "ep_none", endpointNote("endpoint.deleted"))).toBe(false);
      expect((await s.listAuditLog("acme", 0, { limit: 50, after: null })).data).toEqual([]);
      expect((await s.listAuditLog("ghost", 0, { limit: 50, after: null })).data).toEqual([]);
    });

    it("rolls the change back when its audit row cannot be written", async () => {
      const s = store();
      await s.insertTenant(tenant("acme"));
      const failing = note<Tenant>("tenant.updated", T0 + 1, () => {
        throw new Error("snapshot failed");
      });
      await expect(s.updateTenant("acme", { name: "changed" }, T0 + 1, failing)).rejects.toThrow("snapshot failed");
      expect((await s.getTenant("acme"))?.name).toBe("Tenant acme");
      const ep = endpoint("acme");
      await expect(s.insertEndpoint(ep, note<Endpoint>("endpoint.created", T0, () => {
        throw new Error("snapshot failed");
      }))).rejects.toThrow("snapshot failed");
      expect(await s.getEndpoint("acme", ep.id)).toBeNull();
    });

    it("stores a standalone entry", async () => {
      const s = store();
      await s.insertAuditEntry({
        id: "aud_1",
        tenantId: "acme",
        actorKeyId: "key_x",
        action: "endpoint.secret_rotated",
        targetType: "endpoint",
        targetId: "ep_1",
        before: { secret: "[redacted]" },
        after: { secret: "[redacted]" },
        createdAt: T0,
      });
      expect((await s.listAuditLog("acme", 0, { limit: 5, after: null })).data).toEqual([
        {
          id: "aud_1",
          tenantId: "acme",
          actorKeyId: "key_x",
          action: "endpoint.secret_rotated",
          targetType: "endpoint",
          targetId: "ep_1",
          before: { secret: "[redacted]" },
          after: { secret: "[redacted]" },
          createdAt: T0,
        },
      ]);
    });
  });
}
