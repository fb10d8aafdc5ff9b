/**
 * Portal sessions through the API with the session's own token, on both stores: a session reaches its tenant only,
 * and only what the portal needs; a read-only session changes nothing; an endpoint-limited session sees only its
 * endpoints, their deliveries and tasks; a link opens once; revoking one session or all of a tenant's, signing out
 * and expiry are refused from the very next request. The page-level checks are in test/browser/.
 */
import { describe, expect, it } from "vitest";
import { answer } from "../support/receiver.ts";
import { STORE_KINDS } from "../support/stores.ts";
import { type Api, Api as ApiClient, eventually, type Json, startHookd, useHookd } from "../e2e/harness.ts";
import { openRowCounter } from "../support/row-counts.ts";

/** Creates a session with `creatorKey` and exchanges its link as the portal page does; returns the session token. */
export async function openPortal(api: Api, tenantId: string, body: Json = {}, creatorKey?: string) {
  const created = await api.expectPost(`/v1/tenants/${tenantId}/portal-sessions`, body, 201, creatorKey ? { key: creatorKey } : {});
  const link = new URL(created.url as string).hash.replace(/^#token=/, "");
  const exchanged = await api.expectPost("/v1/portal/exchange", { token: link }, 200, { key: null });
  return { created, link, token: exchanged.session_token as string, exchanged };
}

describe.each(STORE_KINDS)("portal sessions (%s)", (kind) => {
  const h = useHookd(kind);

  async function tenantWithKey() {
    const tenantId = await h.tenant();
    const key = (await h.api.expectPost(`/v1/tenants/${tenantId}/api-keys`, {}, 201)).key as string;
    return { tenantId, key };
  }

  it("a tenant key creates a link whose token travels in the fragment and opens exactly once", async () => {
    const { tenantId, key } = await tenantWithKey();
    const { created, link, token, exchanged } = await openPortal(h.api, tenantId, { ttl_s: 600 }, key);
    const url = new URL(created.url);
    expect(url.pathname).toBe(`/portal/t/${tenantId}/`);
    expect(url.search).toBe("");
    expect(link).toMatch(/^hkpl_[A-Za-z0-9_-]{43}$/);
    expect(created.path).toBe(`${url.pathname}${url.hash}`);
    expect(created).toMatchObject({ tenant_id: tenantId, status: "unused", read_only: false, endpoint_ids: null });
    expect(Date.parse(created.expires_at) - Date.parse(created.created_at)).toBe(600_000);
    expect(token).toMatch(/^hkps_/);
    expect(exchanged.tenant).toEqual({ id: tenantId, name: "e2e" });
    expect(exchanged.session).toMatchObject({ id: created.id, status: "active" });

    // The link is burnt: a second page (or whoever finds the URL in a history) gets nothing.
    const again = await h.api.post("/v1/portal/exchange", { token: link }, { key: null });
    expect([again.status, again.body.code]).toEqual([401, "UNAUTHORIZED"]);
    // Tokens are never stored in the clear, and the listing shows no token at all.
    const listed = await h.api.expectGet(`/v1/tenants/${tenantId}/portal-sessions`);
    expect(JSON.stringify(listed)).not.toContain(token.slice(5));
    expect(listed.data.map((s: Json) => [s.id, s.status])).toEqual([[created.id, "active"]]);
    const self = await h.api.get("/v1/portal/session", { key: token });
    expect(self.body).toMatchObject({ session: { id: created.id }, tenant: { id: tenantId } });
    // Created by the tenant key, and audited.
    const audit = await h.api.expectGet(`/v1/tenants/${tenantId}/audit-log`);
    expect(audit.data[0]).toMatchObject({ action: "portal_session.created", target_id: created.id });
  });

  it("reaches its own tenant only, and only the routes the portal needs", async () => {
    const a = await tenantWithKey();
    const b = await tenantWithKey();
    const receiver = await h.receiver(answer(200));
    const epB = await h.api.createEndpoint(b.tenantId, { url: receiver.url });
    const { token } = await openPortal(h.api, a.tenantId);
    const as = { key: token };

    expect((await h.api.get(`/v1/tenants/${a.tenantId}/endpoints`, as)).status).toBe(200);
    // Tenant B exists, but to A's portal it looks exactly like a tenant that does not.
    for (const path of ["/endpoints", `/endpoints/${epB.id}`, "/deliveries", "/event-types", "/stats"]) {
      const res = await h.api.get(`/v1/tenants/${b.tenantId}${path}`, as);
      const ghost = await h.api.get(`/v1/tenants/no-such-tenant${path}`, as);
      expect([res.status, res.body.code], path).toEqual([404, "TENANT_NOT_FOUND"]);
      expect([ghost.status, ghost.body.code]).toEqual([404, "TENANT_NOT_FOUND"]);
    }
    const writeB = await h.api.patch(`/v1/tenants/${b.tenantId}/endpoints/${epB.id}`, { description: "x" }, as);
    expect(writeB.status).toBe(404);
    // What a tenant key may do but a portal session may not: publish, manage keys, sessions and the tenant itself.
    const refused: [string, string, unknown?][] = [
      ["POST", `/v1/tenants/${a.tenantId}/events`, { type: "a.b", data: {} }],
      ["GET", `/v1/tenants/${a.tenantId}`],
      ["PATCH", `/v1/tenants/${a.tenantId}`, { name: "x" }],
      ["GET", `/v1/tenants/${a.tenantId}/api-keys`],
      ["GET", `/v1/tenants/${a.tenantId}/audit-log`],
      ["POST", `/v1/tenants/${a.tenantId}/portal-sessions`, {}],
      ["PUT", `/v1/tenants/${a.tenantId}/portal-settings`, { frame_ancestors: ["https://evil.example"] }],
      ["POST", `/v1/tenants/${a.tenantId}/event-types`, { name: "x.y" }],
      ["GET", "/v1/tenants"],
      ["GET", "/v1/console/health"],
      ["GET", "/v1/operational-events"],
    ];
    for (const [method, path, body] of refused) {
      const res = await h.api.call(method, path, { key: token, ...(body === undefined ? {} : { body }) });
      expect([res.status, res.body.code], `${method} ${path}`).toEqual([403, "FORBIDDEN"]);
    }
    expect((await h.api.expectGet(`/v1/tenants/${b.tenantId}/endpoints/${epB.id}`)).description).toBe("");
  });

  it("a read-only session reads everything the portal shows and changes nothing", async () => {
    const { tenantId } = await tenantWithKey();
    const receiver = await h.receiver(answer(500));
    const ep = await h.api.createEndpoint(tenantId, { url: receiver.url, retry_schedule_s: [0] });
    const ev = await h.api.publish(tenantId, { type: "a.b", data: { n: 1 } });
    const dlv = await h.api.onlyDeliveryOf(tenantId, ev.id);
    await h.api.waitForDelivery(tenantId, dlv.id, (d) => d.status === "dead");
    const { token } = await openPortal(h.api, tenantId, { read_only: true });
    const as = { key: token };
    const t = `/v1/tenants/${tenantId}`;
    for (const path of ["/endpoints", `/endpoints/${ep.id}`, "/deliveries", `/deliveries/${dlv.id}`, "/event-types", "/tasks", "/stats", `/endpoints/${ep.id}/stats/series?window=1h`]) {
      expect((await h.api.get(`${t}${path}`, as)).status, path).toBe(200);
    }
    const counter = await openRowCounter(h.db.url);
    try {
      const before = await counter.counts();
      const changes: [string, string, unknown?][] = [
        ["PATCH", `${t}/endpoints/${ep.id}`, { description: "x" }],
        ["DELETE", `${t}/endpoints/${ep.id}`],
        ["POST", `${t}/endpoints`, { url: receiver.url }],
        ["POST", `${t}/endpoints/${ep.id}/rotate-secret`, {}],
        ["GET", `${t}/endpoints/${ep.id}/secret`],
        ["GET", `${t}/endpoints/${ep.id}/headers`],
        // The path spelt another way reaches the same route, and the same scope.
        ["PATCH", `/%761/tenants/${tenantId}/endpoints/${ep.id}`, { description: "x" }],
        ["POST", `/v%31/tenants/${tenantId}/deliveries/${dlv.id}/replay`, {}],
        ["POST", `${t}/endpoints/${ep.id}/test`, {}],
        ["POST", `${t}/endpoints/${ep.id}/recover`, { since: "2026-01-01T00:00:00Z" }],
        ["POST", `${t}/endpoints/${ep.id}/replay`, {}],
        ["POST", `${t}/endpoints/${ep.id}/enable`, {}],
        ["POST", `${t}/deliveries/${dlv.id}/replay`, {}],
      ];
      for (const [method, path, body] of changes) {
        const res = await h.api.call(method, path, { key: token, ...(body === undefined ? {} : { body }) });
        expect([res.status, res.body.code, res.body.message], `${method} ${path}`).toEqual([
          403,
          "FORBIDDEN",
          "this portal session is read-only",
        ]);
      }
      expect(await counter.counts()).toEqual(before);
    } finally {
      await counter.close();
    }
    expect((await h.api.getDelivery(tenantId, dlv.id)).status).toBe("dead");
    expect((await h.api.expectGet(`${t}/tasks`)).data).toEqual([]);
  });

  it("an endpoint-limited session sees only its endpoints, their deliveries and their tasks", async () => {
    const { tenantId } = await tenantWithKey();
    const receiver = await h.receiver(answer(200));
    const mine = await h.api.createEndpoint(tenantId, { url: receiver.url, description: "mine" });
    const other = await h.api.createEndpoint(tenantId, { url: receiver.url, description: "other" });
    const ev = await h.api.publish(tenantId, { type: "a.b", data: {} });
    const deliveries = await h.api.deliveriesOf(tenantId, { event_id: ev.id });
    const dMine = deliveries.find((d) => d.endpoint_id === mine.id)!;
    const dOther = deliveries.find((d) => d.endpoint_id === other.id)!;
    await h.api.waitForDelivery(tenantId, dOther.id, (d) => d.status === "succeeded");
    await h.api.waitForDelivery(tenantId, dMine.id, (d) => d.status === "succeeded");
    const taskOther = await h.api.expectPost(`/v1/tenants/${tenantId}/endpoints/${other.id}/recover`, { since: ev.created_at }, 202);

    const unknown = await h.api.post(`/v1/tenants/${tenantId}/portal-sessions`, { endpoint_ids: ["ep_nope"] });
    expect([unknown.status, unknown.body.code]).toEqual([404, "ENDPOINT_NOT_FOUND"]);
    const { token } = await openPortal(h.api, tenantId, { endpoint_ids: [mine.id] });
    const as = { key: token };
    const t = `/v1/tenants/${tenantId}`;

    const listed = await h.api.get(`${t}/endpoints`, as);
    expect(listed.body.data.map((e: Json) => e.id)).toEqual([mine.id]);
    expect((await h.api.get(`${t}/endpoints/${mine.id}`, as)).status).toBe(200);
    for (const [method, path, code] of [
      ["GET", `${t}/endpoints/${other.id}`, "ENDPOINT_NOT_FOUND"],
      ["PATCH", `${t}/endpoints/${other.id}`, "ENDPOINT_NOT_FOUND"],
      ["GET", `${t}/endpoints/${other.id}/secret`, "ENDPOINT_NOT_FOUND"],
      ["GET", `${t}/deliveries/${dOther.id}`, "DELIVERY_NOT_FOUND"],
      ["POST", `${t}/deliveries/${dOther.id}/replay`, "DELIVERY_NOT_FOUND"],
      ["GET", `${t}/tasks/${taskOther.id}`, "TASK_NOT_FOUND"],
      ["GET", `/%761/tenants/${tenantId}/endpoints/${other.id}`, "ENDPOINT_NOT_FOUND"],
    ] as const) {
      const res = await h.api.call(method, path, { key: token, ...(method === "GET" ? {} : { body: {} }) });
      expect([res.status, res.body.code], `${method} ${path}`).toEqual([404, code]);
    }
    // Lists that span endpoints must name one of its own, tenant-wide figures and new endpoints are refused.
    expect((await h.api.get(`${t}/deliveries`, as)).status).toBe(403);
    expect((await h.api.get(`${t}/deliveries?endpoint_id=${other.id}`, as)).status).toBe(403);
    const own = await h.api.get(`${t}/deliveries?endpoint_id=${mine.id}`, as);
    expect(own.body.data.map((d: Json) => d.id)).toEqual([dMine.id]);
    expect((await h.api.get(`${t}/stats`, as)).status).toBe(403);
    expect((await h.api.post(`${t}/endpoints`, { url: receiver.url }, as)).status).toBe(403);
    expect((await h.api.get(`${t}/tasks`, as)).body.data).toEqual([]);
    expect((await h.api.get(`${t}/deliveries/${dMine.id}`, as)).status).toBe(200);
    const secret = await h.api.get(`${t}/endpoints/${mine.id}/secret`, as);
    expect(secret.body.secret).toBe(mine.secret);
    expect(secret.headers["cache-control"]).toBe("no-store");
  });

  it("revoking one session, all of a tenant's, signing out and expiry are refused from the next request on", async () => {
    const { tenantId, key } = await tenantWithKey();
    const ep = `/v1/tenants/${tenantId}/endpoints`;
    const one = await openPortal(h.api, tenantId);
    const two = await openPortal(h.api, tenantId);
    const three = await openPortal(h.api, tenantId);
    const unused = await h.api.expectPost(`/v1/tenants/${tenantId}/portal-sessions`, {}, 201);
    for (const s of [one, two, three]) expect((await h.api.get(ep, { key: s.token })).status).toBe(200);

    expect((await h.api.delete(`/v1/tenants/${tenantId}/portal-sessions/${one.created.id}`, { key })).status).toBe(204);
    const refused = await h.api.get(ep, { key: one.token });
    expect([refused.status, refused.body.code]).toEqual([401, "UNAUTHORIZED"]);
    expect(refused.body.message).toMatch(/revoked/);
    expect((await h.api.get(ep, { key: two.token })).status).toBe(200);

    // Signing out revokes the session itself.
    expect((await h.api.delete("/v1/portal/session", { key: three.token })).status).toBe(204);
    expect((await h.api.get(ep, { key: three.token })).status).toBe(401);

    // All at once: the live one and the unused link (which can then not be opened).
    const all = await h.api.call("DELETE", `/v1/tenants/${tenantId}/portal-sessions`, { key });
    expect(all.body).toEqual({ revoked: 2 });
    expect((await h.api.get(ep, { key: two.token })).status).toBe(401);
    const link = new URL(unused.url).hash.replace("#token=", "");
    expect((await h.api.post("/v1/portal/exchange", { token: link }, { key: null })).status).toBe(401);
    const refresh = await h.api.post(`/v1/tenants/${tenantId}/portal-sessions/${two.created.id}/refresh`, {});
    expect([refresh.status, refresh.body.code]).toEqual([409, "PORTAL_SESSION_ENDED"]);

    // Expiry: the embedding app refreshes a live session; once its time is up it is refused.
    const four = await openPortal(h.api, tenantId, { ttl_s: 60 });
    const refreshed = await h.api.post(`/v1/tenants/${tenantId}/portal-sessions/${four.created.id}/refresh`, { ttl_s: 7200 });
    expect(Date.parse(refreshed.body.expires_at) - Date.now()).toBeGreaterThan(7_100_000);
    await h.app.store.portalSessions.refresh(tenantId, four.created.id, Date.now() + 20, Date.now());
    await eventually(async () => {
      const expired = await h.api.get(ep, { key: four.token });
      expect([expired.status, expired.body.message]).toEqual([401, expect.stringMatching(/expired/)]);
    });
  });

  it("portal settings hold the frame-ancestors allow-list, validated as plain origins", async () => {
    const { tenantId, key } = await tenantWithKey();
    const path = `/v1/tenants/${tenantId}/portal-settings`;
    expect((await h.api.get(path, { key })).body).toEqual({ tenant_id: tenantId, frame_ancestors: [], updated_at: null });
    for (const bad of ["https://a.example; script-src *", "https://a.example/path", "javascript:alert(1)", "'unsafe-inline'", "https://a.example 'self'"]) {
      const res = await h.api.call("PUT", path, { key, body: { frame_ancestors: [bad] } });
      expect([res.status, res.body.code], bad).toEqual([400, "VALIDATION_FAILED"]);
    }
    const ok = await h.api.call("PUT", path, { key, body: { frame_ancestors: ["https://app.example.com", "https://*.example.org:8443"] } });
    expect(ok.status).toBe(200);
    expect((await h.api.get(path)).body.frame_ancestors).toEqual(["https://app.example.com", "https://*.example.org:8443"]);
  });
});

// Scale-out is PostgreSQL's shape (SQLite is one process by design): sessions are never cached in a process.
describe("portal sessions across API processes (postgres)", () => {
  const h = useHookd("postgres");

  it("a revocation through one API process is refused at once by another sharing the database", async () => {
    const other = await startHookd(h.db.url);
    try {
      const second = new ApiClient(other.url!);
      const tenantId = await h.tenant();
      const { created, token } = await openPortal(h.api, tenantId);
      expect((await second.get(`/v1/tenants/${tenantId}/endpoints`, { key: token })).status).toBe(200);
      expect((await h.api.delete(`/v1/tenants/${tenantId}/portal-sessions/${created.id}`)).status).toBe(204);
      expect((await second.get(`/v1/tenants/${tenantId}/endpoints`, { key: token })).status).toBe(401);
    } finally {
      await other.close();
    }
  });
});
