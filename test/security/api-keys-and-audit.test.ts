/**
 * Tenant API keys and the audit log through the real API on both stores: a key is shown once and stored as a hash,
 * listings never carry key material, and every change to tenants, endpoints and keys lands in the audit log with
 * its actor and redacted before/after states.
 */
import { describe, expect, it } from "vitest";
import { ENV_ADMIN_KEY_ID } from "../../src/features/api-keys/bootstrap.ts";
import { hashApiKey } from "../../src/http/auth.ts";
import { eventually, type Json, useHookd } from "../e2e/harness.ts";
import { STORE_KINDS } from "../support/stores.ts";

describe.each(STORE_KINDS)("API keys and audit log (%s)", (kind) => {
  const h = useHookd(kind);

  it("creates a key shown once, stores only its hash and lists it without material", async () => {
    const tenantId = await h.tenant();
    const created = await h.api.expectPost(`/v1/tenants/${tenantId}/api-keys`, {}, 201);
    expect(Object.keys(created).sort()).toEqual(["created_at", "id", "key", "last_used_at", "revoked_at", "tenant_id"]);
    expect(created.id).toMatch(/^key_/);
    expect(created.key).toMatch(/^hk_[A-Za-z0-9_-]{43}$/);
    const stored = await h.app.store.findApiKeyByHash(hashApiKey(created.key));
    expect(stored).toMatchObject({ id: created.id, tenantId, hash: hashApiKey(created.key) });

    const list = await h.api.expectGet(`/v1/tenants/${tenantId}/api-keys`);
    expect(JSON.stringify(list)).not.toContain(created.key);
    expect(JSON.stringify(list)).not.toContain(stored!.hash);
    expect(list.data).toHaveLength(1);

    // The key works for its tenant and records its use.
    expect((await h.api.get(`/v1/tenants/${tenantId}`, { key: created.key })).status).toBe(200);
    // The use is recorded off the request path, so wait for it.
    await eventually(async () => {
      const used = await h.api.expectGet(`/v1/tenants/${tenantId}/api-keys`);
      expect(used.data[0].last_used_at).toEqual(expect.any(String));
    });
  });

  it("refuses bodies with fields, unknown keys and unknown tenants", async () => {
    const tenantId = await h.tenant();
    const bad = await h.api.post(`/v1/tenants/${tenantId}/api-keys`, { tenant_id: "x" });
    expect([bad.status, bad.body.code]).toEqual([400, "VALIDATION_FAILED"]);
    const ghost = await h.api.post("/v1/tenants/ghost/api-keys", {});
    expect([ghost.status, ghost.body.code]).toEqual([404, "TENANT_NOT_FOUND"]);
    const missing = await h.api.delete(`/v1/tenants/${tenantId}/api-keys/key_nope`);
    expect([missing.status, missing.body.code]).toEqual([404, "API_KEY_NOT_FOUND"]);
    // The admin key is not a tenant key: no tenant path reaches it.
    const admin = await h.api.delete(`/v1/tenants/${tenantId}/api-keys/${ENV_ADMIN_KEY_ID}`);
    expect([admin.status, admin.body.code]).toEqual([404, "API_KEY_NOT_FOUND"]);
  });

  it("records every change with its actor and redacted states, readable by the tenant's own key", async () => {
    const receiver = await h.receiver();
    const tenant = await h.api.createTenant({ name: "Audited" });
    const base = `/v1/tenants/${tenant.id}`;
    const key = await h.api.expectPost(`${base}/api-keys`, {}, 201);
    const asTenant = { key: key.key as string };
    const ep = await h.api.expectPost(
      `${base}/endpoints`,
      { url: receiver.url, headers: { "x-receiver-token": "tok-very-private" } },
      201,
      asTenant,
    );
    await h.api.patch(`${base}/endpoints/${ep.id}`, { description: "billing" }, asTenant);
    const rotated = await h.api.expectPost(`${base}/endpoints/${ep.id}/rotate-secret`, {}, 200, asTenant);
    await h.api.patch(base, { name: "Audited Inc" }, asTenant);
    expect((await h.api.delete(`${base}/endpoints/${ep.id}`, asTenant)).status).toBe(204);
    const spare = await h.api.expectPost(`${base}/api-keys`, {}, 201);
    expect((await h.api.delete(`${base}/api-keys/${spare.id}`, asTenant)).status).toBe(204);

    const res = await h.api.get(`${base}/audit-log`, asTenant);
    expect(res.status).toBe(200);
    const entries = res.body.data as Json[];
    expect(entries.map((e) => [e.action, e.actor_key_id])).toEqual([
      ["api_key.revoked", key.id],
      ["api_key.created", ENV_ADMIN_KEY_ID],
      ["endpoint.deleted", key.id],
      ["tenant.updated", key.id],
      ["endpoint.secret_rotated", key.id],
      ["endpoint.updated", key.id],
      ["endpoint.created", key.id],
      ["api_key.created", ENV_ADMIN_KEY_ID],
      ["tenant.created", ENV_ADMIN_KEY_ID],
    ]);
    const rotation = entries.find((e) => e.action === "endpoint.secret_rotated")!;
    expect(rotation).toMatchObject({
      tenant_id: tenant.id,
      target_type: "endpoint",
      target_id: ep.id,
      before: { secret: "[redacted]", description: "billing" },
      after: { secret: "[redacted]" },
      created_at: expect.any(String),
    });
    const update = entries.find((e) => e.action === "tenant.updated")!;
    expect([update.before.name, update.after.name]).toEqual(["Audited", "Audited Inc"]);
    const text = res.text;
    for (const secret of [ep.secret, rotated.secret, key.key, spare.key, "tok-very-private"]) {
      expect(text).not.toContain(secret);
    }

    // Pages newest first with the usual cursor.
    const p1 = await h.api.expectGet(`${base}/audit-log?limit=4`);
    const p2 = await h.api.expectGet(`${base}/audit-log?limit=4&cursor=${p1.next_cursor}`);
    const p3 = await h.api.expectGet(`${base}/audit-log?limit=4&cursor=${p2.next_cursor}`);
    expect([...p1.data, ...p2.data, ...p3.data].map((e: Json) => e.id)).toEqual(entries.map((e) => e.id));
    expect(p3.next_cursor).toBeNull();
  });

  it("keeps a deleted tenant's log from a new tenant with the same id", async () => {
    await h.api.createTenant({ id: "reused-id", name: "First" });
    await h.api.patch("/v1/tenants/reused-id", { name: "First, renamed" });
    expect((await h.api.delete("/v1/tenants/reused-id")).status).toBe(204);
    expect((await h.api.get("/v1/tenants/reused-id/audit-log")).status).toBe(404);
    // The id is free again once the tenant's deletion task has removed its rows (409 until then).
    await eventually(() => h.api.createTenant({ id: "reused-id", name: "Second" }));
    const log = await h.api.expectGet("/v1/tenants/reused-id/audit-log");
    expect(log.data.map((e: Json) => e.after?.name ?? null)).toEqual(["Second"]);
  });
});
