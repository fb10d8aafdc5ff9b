/**
 * The authorisation matrix: every route the server registers (enumerated through the route registry, so a route
 * added later fails this test until it is classified below) is called with the admin key, the tenant's own key,
 * another tenant's key, a revoked key, no key and malformed Authorization headers, and must answer exactly the
 * expected status. Every refused request must leave the target tenant exactly as it was (0 cross-tenant reads or
 * writes), and another tenant's key must get the same answer for an existing tenant as for one that does not exist.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { registeredRoutes } from "../../src/http/route-registry.ts";
import { type ApiResponse, eventually, type Json, useHookd } from "../e2e/harness.ts";
import { STORE_KINDS } from "../support/stores.ts";
import { TEST_ENCRYPTION_KEY } from "../support/encryption-key.ts";
import { parseMasterKey } from "../../src/secrets/master-key.ts";
import { PayloadTokens } from "../../src/secrets/payload-token.ts";
import { SecretBox } from "../../src/secrets/secret-box.ts";

/** Mints payload URL tokens as the test hookd would (it holds TEST_ENCRYPTION_KEY). */
const payloadTokens = new PayloadTokens(new SecretBox(parseMasterKey(TEST_ENCRYPTION_KEY)));

/**
 * public: anyone. admin: the admin key only (no tenant in the path). admin-for-tenant: the admin key only, on one
 * tenant's path (another tenant's key gets 404, the tenant's own key 403). tenant: the admin key or the tenant's own.
 * portal-self: a portal session token only (its own session).
 */
type Access = "public" | "admin" | "admin-for-tenant" | "tenant" | "portal-self";

/**
 * What a portal session of the tenant may do, written out here independently of src/http/portal-scope.ts: reads for
 * every session, changes only for one that is not read-only. Every other route refuses a portal session with 403.
 */
const PORTAL_READ = new Set([
  "GET /v1/tenants/:tenant_id/endpoints",
  "GET /v1/tenants/:tenant_id/endpoints/:endpoint_id",
  "GET /v1/tenants/:tenant_id/endpoints/:endpoint_id/stats",
  "GET /v1/tenants/:tenant_id/endpoints/:endpoint_id/stats/series",
  "GET /v1/tenants/:tenant_id/endpoints/:endpoint_id/halted-keys",
  // A POST that changes nothing: trying a filter on a sample event.
  "POST /v1/tenants/:tenant_id/endpoints/:endpoint_id/filter-test",
  "GET /v1/tenants/:tenant_id/stats",
  "GET /v1/tenants/:tenant_id/deliveries",
  "GET /v1/tenants/:tenant_id/deliveries/:delivery_id",
  "GET /v1/tenants/:tenant_id/event-types",
  "GET /v1/tenants/:tenant_id/event-types/:name",
  "GET /v1/tenants/:tenant_id/tasks",
  "GET /v1/tenants/:tenant_id/tasks/:task_id",
]);
const PORTAL_CHANGE = new Set([
  "POST /v1/tenants/:tenant_id/endpoints",
  "PATCH /v1/tenants/:tenant_id/endpoints/:endpoint_id",
  "DELETE /v1/tenants/:tenant_id/endpoints/:endpoint_id",
  "POST /v1/tenants/:tenant_id/endpoints/:endpoint_id/enable",
  "POST /v1/tenants/:tenant_id/endpoints/:endpoint_id/rotate-secret",
  "GET /v1/tenants/:tenant_id/endpoints/:endpoint_id/secret",
  "GET /v1/tenants/:tenant_id/endpoints/:endpoint_id/headers",
  "POST /v1/tenants/:tenant_id/endpoints/:endpoint_id/replay",
  "POST /v1/tenants/:tenant_id/endpoints/:endpoint_id/test",
  "POST /v1/tenants/:tenant_id/endpoints/:endpoint_id/recover",
  "POST /v1/tenants/:tenant_id/endpoints/:endpoint_id/halted-keys/release",
  "POST /v1/tenants/:tenant_id/deliveries/:delivery_id/replay",
]);

/** A fresh tenant for one call: its own live, spare and revoked keys, an endpoint and a delivered event. */
interface World {
  tenantId: string;
  ownKey: string;
  revokedKey: string;
  spareKeyId: string;
  endpointId: string;
  eventId: string;
  deliveryId: string;
  taskId: string;
  eventTypeName: string;
  /** A portal session of the tenant (full, and read-only), exchanged as the portal page does. */
  portalToken: string;
  portalReadOnlyToken: string;
  /** An unused portal link token and its session. */
  portalLink: string;
  portalSessionId: string;
}

interface RouteCase {
  access: Access;
  /** The status an allowed caller gets. */
  ok: number;
  request: (w: World, receiverUrl: string) => { path: string; body?: unknown };
  /** The call uses something up (a one-time link): every header tried gets a fresh world. */
  consumes?: true;
}

const t = (w: World) => `/v1/tenants/${w.tenantId}`;

/** Every route, by `METHOD pattern`. A new route must be added here with the access it is meant to have. */
const ROUTES: Record<string, RouteCase> = {
  "GET /healthz": { access: "public", ok: 200, request: () => ({ path: "/healthz" }) },
  "GET /readyz": { access: "public", ok: 200, request: () => ({ path: "/readyz" }) },
  // Public by default (HOOKD_METRICS_AUTH=none); the admin-key option is tested in test/e2e/metrics.test.ts.
  "GET /metrics": { access: "public", ok: 200, request: () => ({ path: "/metrics" }) },
  // The OpenAPI document and the Swagger UI page with its bundled assets (src/http/openapi.ts).
  "GET /openapi.json": { access: "public", ok: 200, request: () => ({ path: "/openapi.json" }) },
  "GET /docs": { access: "public", ok: 200, request: () => ({ path: "/docs" }) },
  "HEAD /docs/": { access: "public", ok: 200, request: () => ({ path: "/docs/" }) },
  "GET /docs/static/index.html": { access: "public", ok: 302, request: () => ({ path: "/docs/static/index.html" }) },
  "GET /docs/static/swagger-initializer.js": {
    access: "public",
    ok: 200,
    request: () => ({ path: "/docs/static/swagger-initializer.js" }),
  },
  "GET /docs/json": { access: "public", ok: 200, request: () => ({ path: "/docs/json" }) },
  "GET /docs/yaml": { access: "public", ok: 200, request: () => ({ path: "/docs/yaml" }) },
  "GET /docs/static/*": { access: "public", ok: 200, request: () => ({ path: "/docs/static/swagger-ui.css" }) },
  "HEAD /docs/static/*": { access: "public", ok: 200, request: () => ({ path: "/docs/static/swagger-ui.css" }) },
  "POST /v1/tenants": { access: "admin", ok: 201, request: () => ({ path: "/v1/tenants", body: { name: "new" } }) },
  "GET /v1/tenants": { access: "admin", ok: 200, request: () => ({ path: "/v1/tenants" }) },
  "GET /v1/tenants/:tenant_id": { access: "tenant", ok: 200, request: (w) => ({ path: t(w) }) },
  "PATCH /v1/tenants/:tenant_id": { access: "tenant", ok: 200, request: (w) => ({ path: t(w), body: { name: "x" } }) },
  "DELETE /v1/tenants/:tenant_id": { access: "admin-for-tenant", ok: 204, request: (w) => ({ path: t(w) }) },
  "GET /v1/tenants/:tenant_id/quotas": { access: "tenant", ok: 200, request: (w) => ({ path: `${t(w)}/quotas` }) },
  "POST /v1/tenants/:tenant_id/endpoints": {
    access: "tenant",
    ok: 201,
    request: (w, url) => ({ path: `${t(w)}/endpoints`, body: { url } }),
  },
  "GET /v1/tenants/:tenant_id/endpoints": { access: "tenant", ok: 200, request: (w) => ({ path: `${t(w)}/endpoints` }) },
  "GET /v1/tenants/:tenant_id/endpoints/:endpoint_id": {
    access: "tenant",
    ok: 200,
    request: (w) => ({ path: `${t(w)}/endpoints/${w.endpointId}` }),
  },
  "GET /v1/tenants/:tenant_id/endpoints/:endpoint_id/headers": {
    access: "tenant",
    ok: 200,
    request: (w) => ({ path: `${t(w)}/endpoints/${w.endpointId}/headers` }),
  },
  "PATCH /v1/tenants/:tenant_id/endpoints/:endpoint_id": {
    access: "tenant",
    ok: 200,
    request: (w) => ({ path: `${t(w)}/endpoints/${w.endpointId}`, body: { description: "changed" } }),
  },
  "DELETE /v1/tenants/:tenant_id/endpoints/:endpoint_id": {
    access: "tenant",
    ok: 204,
    request: (w) => ({ path: `${t(w)}/endpoints/${w.endpointId}` }),
  },
  "POST /v1/tenants/:tenant_id/endpoints/:endpoint_id/enable": {
    access: "tenant",
    ok: 200,
    request: (w) => ({ path: `${t(w)}/endpoints/${w.endpointId}/enable` }),
  },
  "POST /v1/tenants/:tenant_id/endpoints/:endpoint_id/rotate-secret": {
    access: "tenant",
    ok: 200,
    request: (w) => ({ path: `${t(w)}/endpoints/${w.endpointId}/rotate-secret`, body: {} }),
  },
  "POST /v1/tenants/:tenant_id/endpoints/:endpoint_id/filter-test": {
    access: "tenant",
    ok: 200,
    request: (w) => ({ path: `${t(w)}/endpoints/${w.endpointId}/filter-test`, body: { type: "matrix.test", data: {} } }),
  },
  "POST /v1/tenants/:tenant_id/endpoints/:endpoint_id/replay": {
    access: "tenant",
    ok: 202,
    request: (w) => ({ path: `${t(w)}/endpoints/${w.endpointId}/replay`, body: {} }),
  },
  "POST /v1/tenants/:tenant_id/endpoints/:endpoint_id/test": {
    access: "tenant",
    ok: 202,
    request: (w) => ({ path: `${t(w)}/endpoints/${w.endpointId}/test`, body: {} }),
  },
  "POST /v1/tenants/:tenant_id/endpoints/:endpoint_id/recover": {
    access: "tenant",
    ok: 202,
    request: (w) => ({ path: `${t(w)}/endpoints/${w.endpointId}/recover`, body: { since: "2026-01-01T00:00:00Z" } }),
  },
  // FIFO halts: the world's endpoint has none, so a release that gets past authorisation meets HALTED_KEY_NOT_FOUND;
  // test/e2e/ordering.test.ts covers halting and releasing.
  "GET /v1/tenants/:tenant_id/endpoints/:endpoint_id/halted-keys": {
    access: "tenant",
    ok: 200,
    request: (w) => ({ path: `${t(w)}/endpoints/${w.endpointId}/halted-keys` }),
  },
  "POST /v1/tenants/:tenant_id/endpoints/:endpoint_id/halted-keys/release": {
    access: "tenant",
    ok: 404,
    request: (w) => ({ path: `${t(w)}/endpoints/${w.endpointId}/halted-keys/release`, body: { ordering_key: "k", action: "skip" } }),
  },
  "GET /v1/tenants/:tenant_id/tasks": { access: "tenant", ok: 200, request: (w) => ({ path: `${t(w)}/tasks` }) },
  "GET /v1/tenants/:tenant_id/tasks/:task_id": {
    access: "tenant",
    ok: 200,
    request: (w) => ({ path: `${t(w)}/tasks/${w.taskId}` }),
  },
  "POST /v1/tenants/:tenant_id/events": {
    access: "tenant",
    ok: 202,
    request: (w) => ({ path: `${t(w)}/events`, body: { type: "matrix.test", data: {} } }),
  },
  "POST /v1/tenants/:tenant_id/events/batch": {
    access: "tenant",
    ok: 202,
    request: (w) => ({ path: `${t(w)}/events/batch`, body: { events: [{ type: "matrix.test", data: {} }] } }),
  },
  "GET /v1/tenants/:tenant_id/events/:event_id": {
    access: "tenant",
    ok: 200,
    request: (w) => ({ path: `${t(w)}/events/${w.eventId}` }),
  },
  "GET /v1/tenants/:tenant_id/deliveries": { access: "tenant", ok: 200, request: (w) => ({ path: `${t(w)}/deliveries` }) },
  "GET /v1/tenants/:tenant_id/deliveries/:delivery_id": {
    access: "tenant",
    ok: 200,
    request: (w) => ({ path: `${t(w)}/deliveries/${w.deliveryId}` }),
  },
  "POST /v1/tenants/:tenant_id/deliveries/:delivery_id/replay": {
    access: "tenant",
    ok: 202,
    request: (w) => ({ path: `${t(w)}/deliveries/${w.deliveryId}/replay`, body: {} }),
  },
  "POST /v1/tenants/:tenant_id/api-keys": {
    access: "admin-for-tenant",
    ok: 201,
    request: (w) => ({ path: `${t(w)}/api-keys`, body: {} }),
  },
  "GET /v1/tenants/:tenant_id/api-keys": { access: "tenant", ok: 200, request: (w) => ({ path: `${t(w)}/api-keys` }) },
  "DELETE /v1/tenants/:tenant_id/api-keys/:key_id": {
    access: "tenant",
    ok: 204,
    request: (w) => ({ path: `${t(w)}/api-keys/${w.spareKeyId}` }),
  },
  "GET /v1/tenants/:tenant_id/endpoints/:endpoint_id/stats": {
    access: "tenant",
    ok: 200,
    request: (w) => ({ path: `${t(w)}/endpoints/${w.endpointId}/stats?window=1h` }),
  },
  "GET /v1/tenants/:tenant_id/stats": { access: "tenant", ok: 200, request: (w) => ({ path: `${t(w)}/stats` }) },
  "DELETE /v1/tenants/:tenant_id/events/:event_id/payload": {
    access: "tenant",
    ok: 204,
    request: (w) => ({ path: `${t(w)}/events/${w.eventId}/payload` }),
  },
  "GET /v1/operational-events": { access: "admin", ok: 200, request: () => ({ path: "/v1/operational-events" }) },
  "POST /v1/tenants/:tenant_id/event-types": {
    access: "tenant",
    ok: 201,
    request: (w) => ({ path: `${t(w)}/event-types`, body: { name: "matrix.new", schema: { type: "object" } } }),
  },
  "GET /v1/tenants/:tenant_id/event-types": { access: "tenant", ok: 200, request: (w) => ({ path: `${t(w)}/event-types` }) },
  "GET /v1/tenants/:tenant_id/event-types/:name": {
    access: "tenant",
    ok: 200,
    request: (w) => ({ path: `${t(w)}/event-types/${w.eventTypeName}` }),
  },
  "PATCH /v1/tenants/:tenant_id/event-types/:name": {
    access: "tenant",
    ok: 200,
    request: (w) => ({ path: `${t(w)}/event-types/${w.eventTypeName}`, body: { description: "changed", archived: true } }),
  },
  "DELETE /v1/tenants/:tenant_id/event-types/:name": {
    access: "tenant",
    ok: 204,
    request: (w) => ({ path: `${t(w)}/event-types/${w.eventTypeName}` }),
  },
  "GET /v1/tenants/:tenant_id/audit-log": { access: "tenant", ok: 200, request: (w) => ({ path: `${t(w)}/audit-log` }) },
  "GET /v1/tenants/:tenant_id/endpoints/:endpoint_id/secret": {
    access: "tenant",
    ok: 200,
    request: (w) => ({ path: `${t(w)}/endpoints/${w.endpointId}/secret` }),
  },
  "GET /v1/tenants/:tenant_id/endpoints/:endpoint_id/stats/series": {
    access: "tenant",
    ok: 200,
    request: (w) => ({ path: `${t(w)}/endpoints/${w.endpointId}/stats/series?window=1h` }),
  },
  "POST /v1/tenants/:tenant_id/portal-sessions": {
    access: "tenant",
    ok: 201,
    request: (w) => ({ path: `${t(w)}/portal-sessions`, body: { read_only: true } }),
  },
  "GET /v1/tenants/:tenant_id/portal-sessions": { access: "tenant", ok: 200, request: (w) => ({ path: `${t(w)}/portal-sessions` }) },
  "DELETE /v1/tenants/:tenant_id/portal-sessions": {
    access: "tenant",
    ok: 200,
    request: (w) => ({ path: `${t(w)}/portal-sessions` }),
  },
  "GET /v1/tenants/:tenant_id/portal-sessions/:session_id": {
    access: "tenant",
    ok: 200,
    request: (w) => ({ path: `${t(w)}/portal-sessions/${w.portalSessionId}` }),
  },
  "POST /v1/tenants/:tenant_id/portal-sessions/:session_id/refresh": {
    access: "tenant",
    ok: 200,
    request: (w) => ({ path: `${t(w)}/portal-sessions/${w.portalSessionId}/refresh`, body: { ttl_s: 600 } }),
  },
  "DELETE /v1/tenants/:tenant_id/portal-sessions/:session_id": {
    access: "tenant",
    ok: 204,
    request: (w) => ({ path: `${t(w)}/portal-sessions/${w.portalSessionId}` }),
  },
  "GET /v1/tenants/:tenant_id/portal-settings": { access: "tenant", ok: 200, request: (w) => ({ path: `${t(w)}/portal-settings` }) },
  "PUT /v1/tenants/:tenant_id/portal-settings": {
    access: "tenant",
    ok: 200,
    request: (w) => ({ path: `${t(w)}/portal-settings`, body: { frame_ancestors: ["https://app.example.com"] } }),
  },
  // hookd listen. The world's endpoint is an http one, so a caller that gets past authorisation meets
  // NOT_A_RELAY_ENDPOINT (409) when it opens a session on it (a real session would stream until closed), and
  // RELAY_REQUEST_NOT_FOUND (404) with an answer nobody waits for; test/e2e/listen.test.ts covers the happy paths.
  "POST /v1/tenants/:tenant_id/relay-endpoints": {
    access: "tenant",
    ok: 201,
    request: (w) => ({ path: `${t(w)}/relay-endpoints`, body: { event_types: ["matrix.*"] } }),
  },
  "GET /v1/tenants/:tenant_id/relay-endpoints/:endpoint_id/session": {
    access: "tenant",
    ok: 409,
    request: (w) => ({ path: `${t(w)}/relay-endpoints/${w.endpointId}/session` }),
  },
  "POST /v1/tenants/:tenant_id/relay-endpoints/:endpoint_id/answers": {
    access: "tenant",
    ok: 404,
    request: (w) => ({ path: `${t(w)}/relay-endpoints/${w.endpointId}/answers`, body: { request_id: "nobody-waits", status: 200 } }),
  },
  // Workers' relay deliveries: the delivery's signature is the credential; without a session it is refused before
  // the body is read, whoever calls.
  "POST /internal/relay/:tenant_id/:endpoint_id": {
    access: "public",
    ok: 404,
    request: (w) => ({ path: `/internal/relay/${w.tenantId}/${w.endpointId}`, body: {} }),
  },
  // The link token in the body is the credential; any Authorization header is ignored.
  "POST /v1/portal/exchange": {
    access: "public",
    ok: 200,
    consumes: true,
    request: (w) => ({ path: "/v1/portal/exchange", body: { token: w.portalLink } }),
  },
  // A thin delivery's payload URL: the signed token in it is the credential; any Authorization header is ignored.
  "GET /v1/events/:event_id/payload": {
    access: "public",
    ok: 200,
    request: (w) => ({
      path: `/v1/events/${w.eventId}/payload?token=${payloadTokens.mint({
        tenantId: w.tenantId,
        endpointId: w.endpointId,
        eventId: w.eventId,
        expiresAt: Date.now() + 600_000,
      })}`,
    }),
  },
  "GET /v1/portal/session": { access: "portal-self", ok: 200, request: () => ({ path: "/v1/portal/session" }) },
  "DELETE /v1/portal/session": { access: "portal-self", ok: 204, request: () => ({ path: "/v1/portal/session" }) },
  "GET /v1/console/health": { access: "admin", ok: 200, request: () => ({ path: "/v1/console/health" }) },
  "GET /v1/console/tenants": { access: "admin", ok: 200, request: () => ({ path: "/v1/console/tenants" }) },
  // The web console's pages and assets (src/features/web/pages.ts); the portal page carries no credential.
  "GET /": { access: "public", ok: 302, request: () => ({ path: "/" }) },
  "GET /console": { access: "public", ok: 301, request: () => ({ path: "/console" }) },
  "GET /console/": { access: "public", ok: 200, request: () => ({ path: "/console/" }) },
  "GET /portal/": { access: "public", ok: 200, request: () => ({ path: "/portal/" }) },
  "GET /portal/t/:tenant_id/": { access: "public", ok: 200, request: (w) => ({ path: `/portal/t/${w.tenantId}/` }) },
  "GET /assets/*": { access: "public", ok: 200, request: () => ({ path: builtAsset() }) },
  "HEAD /assets/*": { access: "public", ok: 200, request: () => ({ path: builtAsset() }) },
};

/** One file the web build produced, as the console page names it. */
function builtAsset(): string {
  const html = readFileSync(new URL("../../web/dist/console/index.html", import.meta.url), "utf8");
  const asset = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
  if (!asset) throw new Error("web/dist/console/index.html names no script: the web build is missing");
  return asset;
}

type Caller = "admin" | "own" | "other" | "revoked" | "none" | "malformed" | "portal" | "portal-read-only";
const CALLERS: Caller[] = ["admin", "own", "other", "revoked", "none", "malformed", "portal", "portal-read-only"];

function expected(access: Access, caller: Caller, ok: number, route: string): number {
  if (access === "public") return ok;
  if (caller === "revoked" || caller === "none" || caller === "malformed") return 401;
  if (caller === "portal" || caller === "portal-read-only") {
    if (access === "portal-self") return ok;
    return PORTAL_READ.has(route) || (caller === "portal" && PORTAL_CHANGE.has(route)) ? ok : 403;
  }
  if (access === "portal-self") return 403;
  if (caller === "admin") return ok;
  if (access === "admin") return 403;
  if (caller === "own") return access === "tenant" ? ok : 403;
  return 404; // another tenant's key on this tenant's path: as if the tenant did not exist
}

describe.each(STORE_KINDS)("authorisation matrix (%s)", (kind) => {
  const h = useHookd(kind);

  async function newKey(tenantId: string): Promise<Json> {
    return h.api.expectPost(`/v1/tenants/${tenantId}/api-keys`, {}, 201);
  }

  async function world(receiverUrl: string): Promise<World> {
    const tenantId = await h.tenant();
    const own = await newKey(tenantId);
    const spare = await newKey(tenantId);
    const revoked = await newKey(tenantId);
    // Use the doomed key first, so its lookup sits in the auth cache: the revoke must clear it.
    expect((await h.api.get(`/v1/tenants/${tenantId}`, { key: revoked.key })).status).toBe(200);
    expect((await h.api.delete(`/v1/tenants/${tenantId}/api-keys/${revoked.id}`)).status).toBe(204);
    const ep = await h.api.createEndpoint(tenantId, { url: receiverUrl, event_types: ["matrix.*"] });
    const eventType = await h.api.expectPost(`/v1/tenants/${tenantId}/event-types`, { name: "matrix.declared" }, 201);
    const ev = await h.api.publish(tenantId, { type: "matrix.setup", data: { n: 1 } });
    const delivery = await h.api.onlyDeliveryOf(tenantId, ev.id);
    await h.api.waitForDelivery(tenantId, delivery.id, (d) => d.status === "succeeded");
    const task = await h.api.expectPost(`/v1/tenants/${tenantId}/endpoints/${ep.id}/recover`, { since: ev.created_at }, 202);
    await eventually(async () => expect((await h.api.expectGet(`/v1/tenants/${tenantId}/tasks/${task.id}`)).status).toBe("succeeded"));
    const portal = async (body: Json) => {
      const created = await h.api.expectPost(`/v1/tenants/${tenantId}/portal-sessions`, body, 201);
      const link = new URL(created.url as string).hash.replace("#token=", "");
      return { id: created.id as string, link };
    };
    const exchange = async (link: string) =>
      (await h.api.expectPost("/v1/portal/exchange", { token: link }, 200, { key: null })).session_token as string;
    const full = await portal({});
    const readOnly = await portal({ read_only: true });
    const unused = await portal({});
    return {
      tenantId,
      ownKey: own.key,
      revokedKey: revoked.key,
      spareKeyId: spare.id,
      endpointId: ep.id,
      eventId: ev.id,
      deliveryId: delivery.id,
      taskId: task.id,
      eventTypeName: eventType.name,
      portalToken: await exchange(full.link),
      portalReadOnlyToken: await exchange(readOnly.link),
      portalLink: unused.link,
      portalSessionId: unused.id,
    };
  }

  /** Everything an admin can read about the tenant; a refused call must leave it identical. */
  async function snapshot(w: World): Promise<unknown> {
    const paths = [
      "",
      "/endpoints",
      `/endpoints/${w.endpointId}`,
      "/api-keys",
      "/deliveries?limit=250",
      "/audit-log?limit=250",
      "/tasks?limit=250",
      "/event-types?include_archived=true",
      "/portal-sessions?limit=250",
      "/portal-settings",
    ];
    const out: unknown[] = [];
    for (const p of paths) {
      const res = await h.api.get(`${t(w)}${p}`);
      out.push([p, res.status, stripLastUsed(res.body)]);
    }
    return out;
  }

  function call(method: string, req: { path: string; body?: unknown }, authorization: string | null) {
    const headers: Record<string, string> = authorization === null ? {} : { authorization };
    return h.api.call(method, req.path, { key: null, headers, ...(req.body === undefined ? {} : { body: req.body }) });
  }

  it("classifies every registered route", () => {
    const registered = registeredRoutes(h.app.server!).map((r) => `${r.method} ${r.url}`);
    const unclassified = registered.filter((r) => !(r in ROUTES));
    expect(unclassified, "add these routes to ROUTES in test/security/authorization-matrix.test.ts").toEqual([]);
    const stale = Object.keys(ROUTES).filter((r) => !registered.includes(r));
    expect(stale, "these ROUTES entries name no registered route").toEqual([]);
  });

  it("answers every route with the expected status for every kind of caller, without cross-tenant effects", async () => {
    const receiver = await h.receiver();
    const otherTenant = await h.tenant();
    const otherKey = (await newKey(otherTenant)).key as string;
    const mismatches: string[] = [];
    for (const route of registeredRoutes(h.app.server!)) {
      const name = `${route.method} ${route.url}`;
      const spec = ROUTES[name];
      if (!spec) continue; // reported by the classification test
      // Refused callers change nothing, so they share one world; each allowed caller gets a fresh one.
      const shared = await world(receiver.url);
      for (const caller of CALLERS) {
        const want = expected(spec.access, caller, spec.ok, name);
        const w = want < 400 ? await world(receiver.url) : shared;
        const req = spec.request(w, receiver.url);
        const headers: (string | null)[] =
          caller === "admin"
            ? ["Bearer test-admin-key-0123456789"]
            : caller === "own"
              ? [`Bearer ${w.ownKey}`]
              : caller === "other"
                ? [`Bearer ${otherKey}`]
                : caller === "revoked"
                  ? [`Bearer ${w.revokedKey}`]
                  : caller === "none"
                    ? [null]
                    : caller === "portal"
                      ? [`Bearer ${w.portalToken}`]
                      : caller === "portal-read-only"
                        ? [`Bearer ${w.portalReadOnlyToken}`]
                        : malformed(w.ownKey);
        const before = want >= 400 ? await snapshot(w) : null;
        for (const [i, authorization] of headers.entries()) {
          const fresh = spec.consumes && i > 0 ? spec.request(await world(receiver.url), receiver.url) : req;
          const res = await call(route.method, fresh, authorization);
          if (res.status !== want) mismatches.push(`${name} as ${caller} (${authorization}): ${res.status} ${res.text}`);
          if (want >= 400) expectErrorBody(res);
          if (caller === "other" && want === 404) {
            // Indistinguishable from a tenant that does not exist.
            const ghost = { ...req, path: req.path.replace(w.tenantId, "ghost-tenant") };
            const ghostRes = await call(route.method, ghost, authorization);
            expect([ghostRes.status, ghostRes.body.code]).toEqual([res.status, res.body.code]);
          }
        }
        if (before !== null) {
          expect(await snapshot(w), `${name} as ${caller} changed the tenant`).toEqual(before);
        }
      }
    }
    expect(mismatches).toEqual([]);
    // The other tenant was never touched either.
    expect((await h.api.get(`/v1/tenants/${otherTenant}/audit-log`)).body.data.map((e: Json) => e.action)).toEqual([
      "api_key.created",
      "tenant.created",
    ]);
  }, 240_000);

  it("a revoked key is refused at once, even right after a request that cached it", async () => {
    const tenantId = await h.tenant();
    const key = await newKey(tenantId);
    expect((await h.api.get(`/v1/tenants/${tenantId}/endpoints`, { key: key.key })).status).toBe(200);
    expect((await h.api.delete(`/v1/tenants/${tenantId}/api-keys/${key.id}`, { key: key.key })).status).toBe(204);
    const res = await h.api.get(`/v1/tenants/${tenantId}/endpoints`, { key: key.key });
    expect([res.status, res.body.code]).toEqual([401, "UNAUTHORIZED"]);
    // last_used_at is written off the request path, so wait for it.
    await eventually(async () => {
      const listed = (await h.api.expectGet(`/v1/tenants/${tenantId}/api-keys`)).data as Json[];
      expect(listed).toEqual([
        {
          id: key.id,
          tenant_id: tenantId,
          created_at: key.created_at,
          revoked_at: expect.any(String),
          last_used_at: expect.any(String),
        },
      ]);
    });
  });
});

/** Headers that must never authenticate, even though each contains a valid key. */
function malformed(validKey: string): string[] {
  return [
    `Basic ${Buffer.from(`admin:${validKey}`).toString("base64")}`,
    validKey,
    `Bearer ${validKey} extra`,
    `Bearer  ${validKey}`,
    `Bearer ${validKey.slice(0, -1)}`,
    "Bearer",
    "Bearer short",
  ];
}

function expectErrorBody(res: ApiResponse): void {
  expect(typeof res.body?.code, res.text).toBe("string");
  expect(res.text).not.toMatch(/\n\s+at /);
}

function stripLastUsed(body: unknown): unknown {
  if (!body || typeof body !== "object") return body;
  const b = body as Json;
  if (!Array.isArray(b.data)) return body;
  return { ...b, data: b.data.map((k: Json) => ("last_used_at" in k ? { ...k, last_used_at: null } : k)) };
}
