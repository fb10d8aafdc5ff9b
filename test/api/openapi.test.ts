/**
 * The OpenAPI document: the committed openapi.json must equal what the code generates (run `npm run openapi` after
 * changing a route), every route must document its success response, the served /openapi.json and the offline /docs
 * page work, and real answers from a running hookd match the documented response schemas, on both stores.
 */
import { readFileSync } from "node:fs";
import { Ajv2020 } from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import { describe, expect, it } from "vitest";
import { generateOpenApi } from "../../src/http/openapi-document.ts";
import { RESPONSES } from "../../src/http/response-schemas.ts";
import { registeredRoutes } from "../../src/http/route-registry.ts";
import { eventually, type Json, useHookd } from "../e2e/harness.ts";
import { answer } from "../support/receiver.ts";
import { STORE_KINDS } from "../support/stores.ts";

const COMMITTED = readFileSync(new URL("../../openapi.json", import.meta.url), "utf8");

describe("openapi.json", () => {
  it("is committed exactly as the code generates it (run `npm run openapi` after changing a route)", async () => {
    const generated = await generateOpenApi();
    expect(generated === COMMITTED, "openapi.json is stale: run `npm run openapi` and commit the result").toBe(true);
  });

  it("is OpenAPI 3.1 and documents a success response for every operation", () => {
    const doc = JSON.parse(COMMITTED);
    expect(doc.openapi).toBe("3.1.0");
    const missing: string[] = [];
    for (const [path, ops] of Object.entries(doc.paths as Record<string, Record<string, Json>>)) {
      for (const [method, op] of Object.entries(ops)) {
        const codes = Object.keys(op.responses ?? {});
        if (!codes.some((c) => /^2\d\d$/.test(c))) missing.push(`${method.toUpperCase()} ${path}`);
      }
    }
    expect(missing, "add these to RESPONSES in src/http/response-schemas.ts").toEqual([]);
  });
});

const ajv = new Ajv2020({ strict: false, allErrors: true });
(addFormats as unknown as (a: Ajv2020) => void)(ajv);

/** Validates a real answer against the documented schema of `METHOD path` for its status. */
function expectDocumented(route: string, status: number, body: unknown): void {
  const schema = RESPONSES[route]?.[status];
  expect(schema, `${route} documents no ${status} answer`).toBeDefined();
  if (status === 204) return;
  const validate = ajv.compile(JSON.parse(JSON.stringify(schema)));
  const ok = validate(body);
  expect(ok, `${route} ${status}: ${JSON.stringify(validate.errors)} in ${JSON.stringify(body)}`).toBe(true);
}

describe.each(STORE_KINDS)("served OpenAPI and docs (%s)", (kind) => {
  const h = useHookd(kind);

  it("serves the committed document at /openapi.json and an offline docs page at /docs", async () => {
    const res = await h.api.get("/openapi.json", { key: null });
    expect(res.status).toBe(200);
    expect(res.body).toEqual(JSON.parse(COMMITTED));
    const page = await h.api.get("/docs", { key: null });
    expect(page.status).toBe(200);
    expect(page.text).toContain("swagger-ui");
    // Every script and stylesheet comes from hookd itself, never a CDN.
    const assets = [...page.text.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    expect(assets.length).toBeGreaterThan(0);
    expect(assets.filter((a) => /^(https?:)?\/\//.test(a))).toEqual([]);
    for (const asset of assets.filter((a) => a.endsWith(".js") || a.endsWith(".css"))) {
      expect((await h.api.get(asset, { key: null })).status, asset).toBe(200);
    }
  });

  it("documents the answers hookd really gives", async () => {
    const api = h.api;
    const t = "/v1/tenants/:tenant_id";
    const check = async (route: string, res: { status: number; body: unknown; text: string }) => {
      expect(res.status, `${route}: ${res.text}`).toBeLessThan(300);
      expectDocumented(route, res.status, res.body);
    };
    const tenant = await api.post("/v1/tenants", { name: "doc", metadata: { a: 1 } });
    await check("POST /v1/tenants", tenant);
    const tid = tenant.body.id as string;
    await check("GET /v1/tenants", await api.get("/v1/tenants"));
    await check(`GET ${t}`, await api.get(`/v1/tenants/${tid}`));
    await check(`PATCH ${t}`, await api.patch(`/v1/tenants/${tid}`, { name: "doc2" }));

    const receiver = await h.receiver(answer(200, {}, "thanks"));
    const ep = await api.post(`/v1/tenants/${tid}/endpoints`, { url: receiver.url, retry_schedule_s: [0, 60] });
    await check(`POST ${t}/endpoints`, ep);
    const eid = ep.body.id as string;
    await check(`GET ${t}/endpoints`, await api.get(`/v1/tenants/${tid}/endpoints`));
    await check(`GET ${t}/endpoints/:endpoint_id`, await api.get(`/v1/tenants/${tid}/endpoints/${eid}`));
    await check(
      `PATCH ${t}/endpoints/:endpoint_id`,
      await api.patch(`/v1/tenants/${tid}/endpoints/${eid}`, { description: "d" }),
    );
    await check(
      `POST ${t}/endpoints/:endpoint_id/rotate-secret`,
      await api.post(`/v1/tenants/${tid}/endpoints/${eid}/rotate-secret`, {}),
    );

    const published = await api.post(`/v1/tenants/${tid}/events`, { type: "a.b", data: { x: [1, "y"] } });
    await check(`POST ${t}/events`, published);
    await check(
      `POST ${t}/events/batch`,
      await api.post(`/v1/tenants/${tid}/events/batch`, { events: [{ type: "a.c", data: {} }] }),
    );
    const delivery = await api.onlyDeliveryOf(tid, published.body.id);
    await api.waitForDelivery(tid, delivery.id, (d) => d.status === "succeeded");
    await check(`GET ${t}/events/:event_id`, await api.get(`/v1/tenants/${tid}/events/${published.body.id}`));
    await check(`GET ${t}/deliveries`, await api.get(`/v1/tenants/${tid}/deliveries`));
    await check(`GET ${t}/deliveries/:delivery_id`, await api.get(`/v1/tenants/${tid}/deliveries/${delivery.id}`));
    await check(
      `POST ${t}/deliveries/:delivery_id/replay`,
      await api.post(`/v1/tenants/${tid}/deliveries/${delivery.id}/replay`, {}),
    );
    await check(
      `POST ${t}/endpoints/:endpoint_id/replay`,
      await api.post(`/v1/tenants/${tid}/endpoints/${eid}/replay`, {}),
    );
    await check(
      `POST ${t}/endpoints/:endpoint_id/filter-test`,
      await api.post(`/v1/tenants/${tid}/endpoints/${eid}/filter-test`, { type: "a.b", data: {}, filter: { data: { x: 1 } } }),
    );
    // A thin endpoint, its delivery and the payload fetch its receiver makes.
    const thinReceiver = await h.receiver(answer(204));
    const thinEp = await api.post(`/v1/tenants/${tid}/endpoints`, {
      url: thinReceiver.url,
      event_types: ["thin.*"],
      payload_mode: "thin",
      filter: { data: { n: { $gte: 1 } } },
    });
    await check(`POST ${t}/endpoints`, thinEp);
    const thinEvent = await api.post(`/v1/tenants/${tid}/events`, { type: "thin.one", data: { n: 1 } });
    await thinReceiver.waitFor(1);
    const payloadUrl = new URL((JSON.parse(thinReceiver.received[0]!.body) as { payload_url: string }).payload_url);
    await check("GET /v1/events/:event_id/payload", await api.get(`${payloadUrl.pathname}${payloadUrl.search}`, { key: null }));
    const [thinDelivery] = await api.deliveriesOf(tid, { event_id: thinEvent.body.id, endpoint_id: thinEp.body.id });
    await check(`GET ${t}/deliveries/:delivery_id`, await api.get(`/v1/tenants/${tid}/deliveries/${thinDelivery!.id}`));
    await check(`POST ${t}/endpoints/:endpoint_id/test`, await api.post(`/v1/tenants/${tid}/endpoints/${eid}/test`, {}));
    const recover = await api.post(`/v1/tenants/${tid}/endpoints/${eid}/recover`, { since: "2026-01-01T00:00:00Z" });
    await check(`POST ${t}/endpoints/:endpoint_id/recover`, recover);
    const finished = await eventually(async () => {
      const res = await api.get(`/v1/tenants/${tid}/tasks/${recover.body.id}`);
      expect(res.body.status).toBe("succeeded");
      return res;
    });
    await check(`GET ${t}/tasks/:task_id`, finished);
    await check(`GET ${t}/tasks`, await api.get(`/v1/tenants/${tid}/tasks`));

    const epStats = await api.get(`/v1/tenants/${tid}/endpoints/${eid}/stats?window=1h`);
    expect(epStats.body.attempts).toBeGreaterThan(0);
    await check(`GET ${t}/endpoints/:endpoint_id/stats`, epStats);
    await check(`GET ${t}/stats`, await api.get(`/v1/tenants/${tid}/stats`));
    const key = await api.post(`/v1/tenants/${tid}/api-keys`, {});
    await check(`POST ${t}/api-keys`, key);
    await check(`GET ${t}/api-keys`, await api.get(`/v1/tenants/${tid}/api-keys`));
    await check(`GET ${t}/audit-log`, await api.get(`/v1/tenants/${tid}/audit-log`));
    await check(`POST ${t}/event-types`, await api.post(`/v1/tenants/${tid}/event-types`, { name: "a.b", schema: { type: "object" } }));
    await check(`GET ${t}/event-types`, await api.get(`/v1/tenants/${tid}/event-types`));
    await check(`GET ${t}/event-types/:name`, await api.get(`/v1/tenants/${tid}/event-types/a.b`));
    await check(`PATCH ${t}/event-types/:name`, await api.patch(`/v1/tenants/${tid}/event-types/a.b`, { schema: null }));
    expect((await api.delete(`/v1/tenants/${tid}/event-types/a.b`)).status).toBe(204);
    await check(`GET ${t}/endpoints/:endpoint_id/secret`, await api.get(`/v1/tenants/${tid}/endpoints/${eid}/secret`));
    await check(
      `GET ${t}/endpoints/:endpoint_id/stats/series`,
      await api.get(`/v1/tenants/${tid}/endpoints/${eid}/stats/series?window=24h`),
    );
    const session = await api.post(`/v1/tenants/${tid}/portal-sessions`, { read_only: true, endpoint_ids: [eid] });
    await check(`POST ${t}/portal-sessions`, session);
    await check(`GET ${t}/portal-sessions`, await api.get(`/v1/tenants/${tid}/portal-sessions`));
    await check(`GET ${t}/portal-sessions/:session_id`, await api.get(`/v1/tenants/${tid}/portal-sessions/${session.body.id}`));
    await check(
      `POST ${t}/portal-sessions/:session_id/refresh`,
      await api.post(`/v1/tenants/${tid}/portal-sessions/${session.body.id}/refresh`, { ttl_s: 120 }),
    );
    const link = new URL(session.body.url).hash.replace("#token=", "");
    const exchanged = await api.post("/v1/portal/exchange", { token: link }, { key: null });
    await check("POST /v1/portal/exchange", exchanged);
    await check("GET /v1/portal/session", await api.get("/v1/portal/session", { key: exchanged.body.session_token }));
    expect((await api.delete("/v1/portal/session", { key: exchanged.body.session_token })).status).toBe(204);
    expect((await api.delete(`/v1/tenants/${tid}/portal-sessions/${session.body.id}`)).status).toBe(204);
    await check(`DELETE ${t}/portal-sessions`, await api.delete(`/v1/tenants/${tid}/portal-sessions`));
    await check(`GET ${t}/portal-settings`, await api.get(`/v1/tenants/${tid}/portal-settings`));
    await check(
      `PUT ${t}/portal-settings`,
      await api.call("PUT", `/v1/tenants/${tid}/portal-settings`, { body: { frame_ancestors: ["https://a.example"] } }),
    );
    await check("GET /v1/console/health", await api.get("/v1/console/health"));
    await check("GET /v1/console/tenants", await api.get("/v1/console/tenants?window=24h"));
    await api.patch(`/v1/tenants/${tid}/endpoints/${eid}`, { disabled: true });
    const ops = await api.get(`/v1/operational-events?tenant_id=${tid}`);
    expect(ops.body.data.length).toBeGreaterThan(0);
    await check("GET /v1/operational-events", ops);
    await check("GET /healthz", await api.get("/healthz", { key: null }));
    await check("GET /readyz", await api.get("/readyz", { key: null }));
    const metrics = await api.get("/metrics", { key: null });
    expect(metrics.status).toBe(200);
    expectDocumented("GET /metrics", 200, metrics.text);
    const deleted = await api.delete(`/v1/tenants/${tid}/api-keys/${key.body.id}`);
    expect(deleted.status).toBe(204);
    expect((await api.delete(`/v1/tenants/${tid}/endpoints/${eid}`)).status).toBe(204);
    expect((await api.delete(`/v1/tenants/${tid}`)).status).toBe(204);
  });

  it("has a documented answer for every registered route", () => {
    // The Swagger UI and the web console's pages and assets are documents, not API operations.
    const pages = new Set(["/", "/console", "/console/", "/portal/", "/portal/t/:tenant_id/", "/assets/*"]);
    const hidden = (url: string) => url === "/openapi.json" || url === "/docs" || url.startsWith("/docs/") || pages.has(url);
    const undocumented = registeredRoutes(h.app.server!)
      .filter((r) => !hidden(r.url))
      .map((r) => `${r.method} ${r.url}`)
      .filter((name) => !(name in RESPONSES));
    expect(undocumented, "add these to RESPONSES in src/http/response-schemas.ts, then `npm run openapi`").toEqual([]);
  });
});
