/**
 * An unpaired UTF-16 surrogate is refused with a 400 in every text field, on both stores (issue 13, finding 13).
 * PostgreSQL answered 500 (its jsonb refuses the escape `\ud800`, and the audit log stores JSON) where SQLite
 * answered 201. Each case sends the raw JSON text with the escape, since JSON.stringify would keep it as well.
 * Event data is the exception that is kept: it is stored and delivered as the JSON text it was published as.
 */
import { describe, expect, it } from "vitest";
import { STORE_KINDS } from "../support/stores.ts";
import { type ApiResponse, useHookd } from "../e2e/harness.ts";

const LONE = ["\\ud800", "\\udfff", "a\\udc00b", "\\ud83d", "x\\ude80"];

describe.each(STORE_KINDS)("unpaired surrogates (%s)", (kind) => {
  const h = useHookd(kind);

  it("are a 400 VALIDATION_FAILED in every text field of every body, and change nothing", async () => {
    const tenant = await h.tenant();
    const receiver = await h.receiver();
    const base = `/v1/tenants/${tenant}`;
    const ep = await h.api.createEndpoint(tenant, { url: `${receiver.url}/hook` });
    await h.api.expectPost(`${base}/event-types`, { name: "a.b" }, 201);
    const url = JSON.stringify(`${receiver.url}/hook`);

    /** [method, path, body with S where the lone surrogate goes] */
    const cases: [string, string, string][] = [
      ["POST", "/v1/tenants", `{"name":"S"}`],
      ["POST", "/v1/tenants", `{"name":"x","metadata":{"k":"S"}}`],
      ["POST", "/v1/tenants", `{"name":"x","metadata":{"S":1}}`],
      ["PATCH", base, `{"name":"S"}`],
      ["PATCH", base, `{"metadata":{"k":["S"]}}`],
      ["POST", `${base}/endpoints`, `{"url":"http://127.0.0.1:9/S"}`],
      ["POST", `${base}/endpoints`, `{"url":${url},"description":"S"}`],
      ["POST", `${base}/endpoints`, `{"url":${url},"metadata":{"k":{"deep":"S"}}}`],
      ["POST", `${base}/endpoints`, `{"url":${url},"headers":{"x-h":"S"}}`],
      ["POST", `${base}/endpoints`, `{"url":${url},"event_types":["S"]}`],
      ["POST", `${base}/endpoints`, `{"url":${url},"secret":"whsec_S"}`],
      ["PATCH", `${base}/endpoints/${ep.id}`, `{"description":"S"}`],
      ["PATCH", `${base}/endpoints/${ep.id}`, `{"url":"http://127.0.0.1:9/S"}`],
      ["PATCH", `${base}/endpoints/${ep.id}`, `{"metadata":{"S":"v"}}`],
      ["POST", `${base}/endpoints/${ep.id}/rotate-secret`, `{"secret":"whsec_S"}`],
      ["POST", `${base}/endpoints/${ep.id}/replay`, `{"since":"S"}`],
      ["POST", `${base}/endpoints/${ep.id}/recover`, `{"since":"S"}`],
      ["POST", `${base}/endpoints/${ep.id}/test`, `{"event_type":"S"}`],
      ["POST", `${base}/event-types`, `{"name":"S"}`],
      ["POST", `${base}/event-types`, `{"name":"b.c","description":"S"}`],
      ["POST", `${base}/event-types`, `{"name":"b.c","schema":{"type":"string","description":"S"}}`],
      ["POST", `${base}/event-types`, `{"name":"b.c","schema":{"type":"object","properties":{"S":{}}}}`],
      ["POST", `${base}/event-types`, `{"name":"b.c","schema":{"enum":["S"]}}`],
      ["PATCH", `${base}/event-types/a.b`, `{"description":"S"}`],
      ["PATCH", `${base}/event-types/a.b`, `{"schema":{"const":"S"}}`],
      ["POST", `${base}/events`, `{"type":"S","data":{}}`],
      ["POST", `${base}/events`, `{"type":"a.b","id":"S","data":{}}`],
      ["POST", `${base}/events/batch`, `{"events":[{"type":"S","data":{}}]}`],
      ["POST", `${base}/api-keys`, `{"S":1}`],
    ];
    const before = {
      tenants: (await h.api.expectGet("/v1/tenants?limit=250")).data.length,
      endpoint: await h.api.expectGet(`${base}/endpoints/${ep.id}`),
      types: await h.api.expectGet(`${base}/event-types/a.b`),
      audit: (await h.api.expectGet(`${base}/audit-log?limit=250`)).data.length,
    };
    for (const [method, path, template] of cases) {
      for (const lone of LONE) {
        const res: ApiResponse = await h.api.call(method, path, { body: template.replaceAll("S", lone) });
        const what = `${method} ${path} ${template} with ${lone}: ${res.text}`;
        expect(res.status, what).toBe(400);
        expect(res.body.code, what).toBe("VALIDATION_FAILED");
      }
    }
    expect((await h.api.expectGet("/v1/tenants?limit=250")).data.length).toBe(before.tenants);
    expect(await h.api.expectGet(`${base}/endpoints/${ep.id}`)).toEqual(before.endpoint);
    expect(await h.api.expectGet(`${base}/event-types/a.b`)).toEqual(before.types);
    expect((await h.api.expectGet(`${base}/audit-log?limit=250`)).data.length).toBe(before.audit);
    expect((await h.api.expectGet(`${base}/event-types`)).data.map((t: { name: string }) => t.name)).toEqual(["a.b"]);
  });

  it("are a 400 in query strings too, never a 500", async () => {
    const tenant = await h.tenant();
    for (const q of ["event_type=%ED%A0%80", "endpoint_id=%ED%A0%80", "cursor=%ED%A0%80", "status=%ED%A0%80"]) {
      const res = await h.api.get(`/v1/tenants/${tenant}/deliveries?${q}`);
      expect(res.status, `${q}: ${res.text}`).toBeLessThan(500);
      expect(res.status, `${q}: ${res.text}`).toBeGreaterThanOrEqual(400);
    }
  });

  it("stay allowed, and unchanged, inside event data, paired surrogates everywhere", async () => {
    const tenant = await h.tenant();
    const receiver = await h.receiver();
    await h.api.createEndpoint(tenant, { url: `${receiver.url}/hook` });
    const res = await h.api.post(`/v1/tenants/${tenant}/events`, '{"type":"a.b","data":{"lone":"\\ud800","emoji":"\\ud83d\\ude80"}}');
    expect(res.status).toBe(202);
    expect((await h.api.expectGet(`/v1/tenants/${tenant}/events/${res.body.id}`)).data).toEqual({ lone: "\ud800", emoji: "\ud83d\ude80" });
    await receiver.waitFor(1);
    expect(receiver.received[0]!.body).toContain(String.raw`"lone":"\ud800"`);
    expect(JSON.parse(receiver.received[0]!.body).data).toEqual({ lone: "\ud800", emoji: "\ud83d\ude80" });
    const named = await h.api.createTenant({ name: "caf\u00e9 \ud83d\ude80", metadata: { "\ud83d\udc4d": "\ud83c\udf89" } });
    expect(named.name).toBe("caf\u00e9 \ud83d\ude80");
  });
});
