/**
 * End to end, on both stores: how the API answers bad input (always a 4xx `{code, message}`, never a 5xx),
 * authentication, missing resources, pagination and the health probes.
 */
import { describe, expect, it } from "vitest";
import { STORE_KINDS } from "../support/stores.ts";
import { type ApiResponse, eventually, useHookd } from "./harness.ts";

const GOOD_SECRET = `whsec_${Buffer.alloc(32, 7).toString("base64")}`;

function expectError(res: ApiResponse, status: number, code: string): void {
  expect(res.status, res.text).toBe(status);
  expect(res.headers["content-type"]).toMatch(/^application\/json/);
  expect(typeof res.body?.message).toBe("string");
  expect(res.body.message.length).toBeGreaterThan(0);
  expect(res.body.code).toBe(code);
}

describe.each(STORE_KINDS)("API end to end (%s)", (kind) => {
  const h = useHookd(kind);

  describe("bad input", () => {
    it("invalid JSON is 400 INVALID_JSON", async () => {
      const tenant = await h.tenant();
      expectError(await h.api.post("/v1/tenants", '{"name": "x",'), 400, "INVALID_JSON");
      expectError(await h.api.post(`/v1/tenants/${tenant}/events`, "{not json}"), 400, "INVALID_JSON");
      expectError(await h.api.post(`/v1/tenants/${tenant}/events/batch`, "[1,"), 400, "INVALID_JSON");
    });

    it("a missing or unknown field is 400 VALIDATION_FAILED with details", async () => {
      const tenant = await h.tenant();
      const missing = await h.api.post("/v1/tenants", { metadata: {} });
      expectError(missing, 400, "VALIDATION_FAILED");
      expect(missing.body.details).toEqual(expect.arrayContaining([expect.objectContaining({ path: expect.any(String) })]));
      expect(JSON.stringify(missing.body.details)).toMatch(/name/);

      const unknown = await h.api.post("/v1/tenants", { name: "x", nmae: "typo" });
      expectError(unknown, 400, "VALIDATION_FAILED");
      expect(unknown.body.details.length).toBeGreaterThan(0);

      const noType = await h.api.post(`/v1/tenants/${tenant}/events`, { data: {} });
      expectError(noType, 400, "VALIDATION_FAILED");
      expect(JSON.stringify(noType.body.details)).toMatch(/type/);
      expectError(await h.api.post(`/v1/tenants/${tenant}/events`, { type: "a.b", data: {}, extra: 1 }), 400, "VALIDATION_FAILED");
      expectError(await h.api.post(`/v1/tenants/${tenant}/events`, { type: "a.b", data: [1, 2] }), 400, "VALIDATION_FAILED");
      expectError(await h.api.post(`/v1/tenants/${tenant}/events`, { type: "bad type!", data: {} }), 400, "VALIDATION_FAILED");
      expectError(await h.api.post(`/v1/tenants/${tenant}/events`, { type: "a.b", data: {}, id: "has space" }), 400, "VALIDATION_FAILED");
      expectError(await h.api.post(`/v1/tenants/${tenant}/events`, "null"), 400, "VALIDATION_FAILED");
      // An empty POST body is validated as {} and so names the missing field.
      const empty = await h.api.call("POST", "/v1/tenants");
      expectError(empty, 400, "VALIDATION_FAILED");
      expect(JSON.stringify(empty.body.details)).toMatch(/name/);
    });

    it("an event body over 256 KB is 413 PAYLOAD_TOO_LARGE", async () => {
      const tenant = await h.tenant();
      const big = { type: "big.one", data: { blob: "x".repeat(300 * 1024) } };
      expectError(await h.api.post(`/v1/tenants/${tenant}/events`, big), 413, "PAYLOAD_TOO_LARGE");
      // In a batch the body may be larger, but each event is still held to the single-event limit.
      const batch = await h.api.post(`/v1/tenants/${tenant}/events/batch`, { events: [big] });
      expectError(batch, 413, "PAYLOAD_TOO_LARGE");
      expect(await h.api.deliveriesOf(tenant)).toHaveLength(0);
    });

    it("rejects bad endpoint URLs, secrets, headers and timeouts", async () => {
      const tenant = await h.tenant();
      const path = `/v1/tenants/${tenant}/endpoints`;
      expectError(await h.api.post(path, { url: "ftp://x" }), 422, "ENDPOINT_URL_FORBIDDEN");
      expectError(await h.api.post(path, { url: "not a url" }), 400, "INVALID_ENDPOINT_URL");
      expectError(await h.api.post(path, { url: "http://user:pw@127.0.0.1/" }), 422, "ENDPOINT_URL_FORBIDDEN");
      expectError(await h.api.post(path, { url: "http://10.0.0.1/hook" }), 422, "ENDPOINT_URL_FORBIDDEN");
      expectError(await h.api.post(path, { url: "http://169.254.169.254/latest/meta-data" }), 422, "ENDPOINT_URL_FORBIDDEN");
      expectError(await h.api.post(path, { url: "http://[::ffff:169.254.169.254]/" }), 422, "ENDPOINT_URL_FORBIDDEN");
      expectError(await h.api.post(path, { url: "http://127.0.0.1:9/", secret: "whsec_short" }), 400, "INVALID_SECRET");
      expectError(await h.api.post(path, { url: "http://127.0.0.1:9/", secret: "not-a-secret" }), 400, "INVALID_SECRET");
      const reserved = await h.api.post(path, { url: "http://127.0.0.1:9/", headers: { "Webhook-Signature": "v1,forged" } });
      expectError(reserved, 400, "VALIDATION_FAILED");
      // A name no HTTP client can send would make every delivery fail; a CR/LF value would split the request.
      expectError(await h.api.post(path, { url: "http://127.0.0.1:9/", headers: { "Bad Name": "x" } }), 400, "VALIDATION_FAILED");
      expectError(await h.api.post(path, { url: "http://127.0.0.1:9/", headers: { "x:y": "x" } }), 400, "VALIDATION_FAILED");
      expectError(
        await h.api.post(path, { url: "http://127.0.0.1:9/", headers: { "x-ok": "a\r\nInjected: 1" } }),
        400,
        "VALIDATION_FAILED",
      );
      // Values and names the HTTP client would refuse to send: every delivery would fail, so refuse them up front.
      for (const value of ["\u20ac", "a\u0001b", "tab\tok\u007f"]) {
        expectError(await h.api.post(path, { url: "http://127.0.0.1:9/", headers: { "x-v": value } }), 400, "VALIDATION_FAILED");
      }
      for (const name of ["Keep-Alive", "upgrade", "Expect", "te"]) {
        expectError(await h.api.post(path, { url: "http://127.0.0.1:9/", headers: { [name]: "x" } }), 400, "VALIDATION_FAILED");
      }
      const many = Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`x-h${i}`, "v"]));
      expectError(await h.api.post(path, { url: "http://127.0.0.1:9/", headers: many }), 400, "VALIDATION_FAILED");
      const types = Array.from({ length: 101 }, (_, i) => `t.${i}`);
      expectError(await h.api.post(path, { url: "http://127.0.0.1:9/", event_types: types }), 400, "VALIDATION_FAILED");
      expectError(await h.api.post(path, { url: "http://127.0.0.1:9/", timeout_ms: 500 }), 400, "VALIDATION_FAILED");
      expectError(await h.api.post(path, { url: "http://127.0.0.1:9/", timeout_ms: 60_000 }), 400, "VALIDATION_FAILED");
      expectError(await h.api.post(path, { url: "http://127.0.0.1:9/", event_types: [] }), 400, "VALIDATION_FAILED");
      expectError(await h.api.post(path, { url: "http://127.0.0.1:9/", retry_schedule_s: [-1] }), 400, "VALIDATION_FAILED");
      // None of those was stored.
      expect((await h.api.expectGet(path)).data).toEqual([]);

      // A valid caller-supplied secret is kept as given; the same checks apply when patching.
      const ep = await h.api.createEndpoint(tenant, { url: "http://127.0.0.1:9/", secret: GOOD_SECRET });
      expect(ep.secret).toBe(GOOD_SECRET);
      const epPath = `${path}/${ep.id}`;
      expectError(await h.api.patch(epPath, { url: "http://10.1.2.3/" }), 422, "ENDPOINT_URL_FORBIDDEN");
      expectError(await h.api.patch(epPath, { headers: { "webhook-id": "x" } }), 400, "VALIDATION_FAILED");
      expectError(await h.api.patch(epPath, { secret: "whsec_!!" }), 400, "INVALID_SECRET");
      expectError(await h.api.patch(epPath, { bogus: true }), 400, "VALIDATION_FAILED");
      expectError(await h.api.patch(epPath, { headers: { "no spaces": "x" } }), 400, "VALIDATION_FAILED");
      expect(await h.api.expectGet(epPath)).toMatchObject({ url: "http://127.0.0.1:9/", headers: {} });
    });

    it("rejects bad queries, replay bodies and idempotency keys", async () => {
      const tenant = await h.tenant();
      const base = `/v1/tenants/${tenant}`;
      expectError(await h.api.get(`${base}/endpoints?cursor=garbage`), 400, "INVALID_CURSOR");
      expectError(await h.api.get(`${base}/deliveries?cursor=${"%21".repeat(8)}`), 400, "INVALID_CURSOR");
      expectError(await h.api.get(`/v1/tenants?cursor=djI6eA`), 400, "INVALID_CURSOR");
      expectError(await h.api.get(`${base}/endpoints?limit=0`), 400, "VALIDATION_FAILED");
      expectError(await h.api.get(`${base}/endpoints?limit=251`), 400, "VALIDATION_FAILED");
      expectError(await h.api.get(`${base}/endpoints?limit=ten`), 400, "VALIDATION_FAILED");
      expectError(await h.api.get(`${base}/endpoints?page=2`), 400, "VALIDATION_FAILED");
      expectError(await h.api.get(`${base}/deliveries?status=lost`), 400, "VALIDATION_FAILED");
      expectError(await h.api.get(`${base}/deliveries?status=dead,`), 400, "VALIDATION_FAILED");

      const ep = await h.api.createEndpoint(tenant, { url: "http://127.0.0.1:9/", disabled: true });
      const replay = `${base}/endpoints/${ep.id}/replay`;
      expectError(await h.api.post(replay, { status: "succeeded" }), 400, "VALIDATION_FAILED");
      expectError(await h.api.post(replay, { since: "yesterday" }), 400, "VALIDATION_FAILED");

      const tooLong = await h.api.post(`${base}/events`, { type: "a.b", data: {} }, { headers: { "idempotency-key": "k".repeat(256) } });
      expectError(tooLong, 400, "VALIDATION_FAILED");
      const textBody = await h.api.call("POST", `${base}/events`, {
        body: "type=a.b",
        headers: { "content-type": "text/plain" },
      });
      expectError(textBody, 415, "UNSUPPORTED_MEDIA_TYPE");
      // The message says how to fix it.
      expect(textBody.body.message).toContain("content-type: application/json");
      expect(await h.api.deliveriesOf(tenant)).toHaveLength(0);
    });

    it("hostile bodies and paths get a 4xx with a registry code, never a 5xx", async () => {
      const tenant = await h.tenant();
      const base = `/v1/tenants/${tenant}`;
      // Nesting that JSON.parse accepts but JSON.stringify cannot handle: event data, batch and metadata.
      const deep = (n: number) => `${"[".repeat(n)}${"]".repeat(n)}`;
      const deepEvent = `{"type":"a.b","data":{"a":${deep(20_000)}}}`;
      expectError(await h.api.post(`${base}/events`, deepEvent), 400, "VALIDATION_FAILED");
      expectError(await h.api.post(`${base}/events/batch`, `{"events":[${deepEvent}]}`), 400, "VALIDATION_FAILED");
      expectError(await h.api.post("/v1/tenants", `{"name":"x","metadata":{"a":${deep(20_000)}}}`), 400, "VALIDATION_FAILED");
      expectError(await h.api.patch(base, `{"metadata":{"a":${deep(6_000)}}}`), 400, "VALIDATION_FAILED");
      // Ordinary nesting is still fine, and comes back as sent.
      const nested = JSON.parse(`{"a":${deep(100)}}`) as Record<string, unknown>;
      const ok = await h.api.publish(tenant, { type: "a.b", data: nested });
      expect((await h.api.expectGet(`${base}/events/${ok.id}`)).data).toEqual(nested);

      // Prototype-poisoning keys are refused by the JSON parser.
      expectError(await h.api.post(`${base}/events`, '{"type":"a.b","data":{"__proto__":{"x":1}}}'), 400, "INVALID_JSON");
      // Metadata keys are limited to 128 characters.
      expectError(await h.api.post("/v1/tenants", { name: "x", metadata: { ["k".repeat(129)]: 1 } }), 400, "VALIDATION_FAILED");
      expect(await h.api.createTenant({ name: "x", metadata: { ["k".repeat(128)]: 1 } })).toHaveProperty("id");

      // Only JSON bodies: text/plain, XML or no content type at all.
      const plain = await h.api.call("POST", `${base}/events`, { body: "x", headers: { "content-type": "text/plain" } });
      expectError(plain, 415, "UNSUPPORTED_MEDIA_TYPE");
      const xml = await h.api.call("POST", `${base}/events`, { body: "<a/>", headers: { "content-type": "application/xml" } });
      expectError(xml, 415, "UNSUPPORTED_MEDIA_TYPE");
      const untyped = await h.api.call("POST", `${base}/events`, { body: '{"type":"a.b","data":{}}', headers: { "content-type": "" } });
      expectError(untyped, 415, "UNSUPPORTED_MEDIA_TYPE");

      // Paths the router itself rejects: malformed percent-encoding and over-long segments.
      expectError(await h.api.get("/v1/tenants/%zz"), 400, "VALIDATION_FAILED");
      expectError(await h.api.get(`${base}/events/%E0%A4%A`), 400, "VALIDATION_FAILED");
      expectError(await h.api.get(`${base}/events/${"e".repeat(101)}`), 400, "VALIDATION_FAILED");
      expectError(await h.api.get(`${base}/deliveries/${"d".repeat(300)}`), 400, "VALIDATION_FAILED");
      expectError(await h.api.get(`/v1/tenants/${"t".repeat(65)}`), 400, "VALIDATION_FAILED");
      expectError(await h.api.get(`/v1/tenants/a%20b/endpoints`), 400, "VALIDATION_FAILED");
      expect(await h.api.deliveriesOf(tenant)).toHaveLength(0);
    });

    it("text a store cannot hold (NUL, unpaired surrogates) is a 400 on both stores, never a 500", async () => {
      const tenant = await h.tenant();
      const base = `/v1/tenants/${tenant}`;
      const nulCursor = Buffer.from("v1:a\u0000b").toString("base64url");
      for (const path of [
        `${base}/endpoints/a%00b`,
        `${base}/events/a%00b`,
        `${base}/deliveries/a%00b`,
        `/v1/tenants/a%00b/endpoints/ep_1`,
        `${base}/deliveries?endpoint_id=a%00b`,
        `${base}/deliveries?event_id=a%00b`,
      ]) {
        expectError(await h.api.get(path), 400, "VALIDATION_FAILED");
      }
      expectError(await h.api.post(`${base}/deliveries/a%00b/replay`), 400, "VALIDATION_FAILED");
      expectError(await h.api.post(`${base}/endpoints/a%00b/replay`, {}), 400, "VALIDATION_FAILED");
      expectError(await h.api.post(`${base}/endpoints/a%00b/rotate-secret`, {}), 400, "VALIDATION_FAILED");
      for (const path of ["/v1/tenants", `${base}/endpoints`, `${base}/deliveries`]) {
        expectError(await h.api.get(`${path}?cursor=${nulCursor}`), 400, "INVALID_CURSOR");
      }

      expectError(await h.api.post("/v1/tenants", '{"name":"a\\u0000b"}'), 400, "VALIDATION_FAILED");
      expectError(await h.api.patch(base, '{"name":"a\\u0000b"}'), 400, "VALIDATION_FAILED");
      expectError(await h.api.post("/v1/tenants", '{"name":"x","metadata":{"k":"a\\u0000b"}}'), 400, "VALIDATION_FAILED");
      expectError(await h.api.post("/v1/tenants", '{"name":"x","metadata":{"a\\u0000":1}}'), 400, "VALIDATION_FAILED");
      expectError(await h.api.post("/v1/tenants", '{"name":"x","metadata":{"k":["\\ud800"]}}'), 400, "VALIDATION_FAILED");
      expectError(await h.api.patch(base, '{"metadata":{"k":{"deep":"\\udc00x"}}}'), 400, "VALIDATION_FAILED");
      const endpoints = `${base}/endpoints`;
      expectError(await h.api.post(endpoints, '{"url":"http://127.0.0.1:9/a\\u0000b"}'), 400, "VALIDATION_FAILED");
      expectError(await h.api.post(endpoints, '{"url":"http://127.0.0.1:9/","description":"\\u0000"}'), 400, "VALIDATION_FAILED");
      expectError(await h.api.post(endpoints, '{"url":"http://127.0.0.1:9/","metadata":{"a":"\\u0000"}}'), 400, "VALIDATION_FAILED");
      expect((await h.api.expectGet(endpoints)).data).toEqual([]);

      // Paired surrogates (any emoji) are fine everywhere, and event data may carry any JSON string.
      const emoji = await h.api.createTenant({ name: "caf\u00e9 \ud83d\ude80", metadata: { "\ud83d\udc4d": "\ud83c\udf89" } });
      expect(await h.api.expectGet(`/v1/tenants/${emoji.id}`)).toMatchObject({
        name: "caf\u00e9 \ud83d\ude80",
        metadata: { "\ud83d\udc4d": "\ud83c\udf89" },
      });
      const ev = await h.api.publish(tenant, { type: "a.b", data: { nul: "a\u0000b", lone: "\ud800" } });
      expect((await h.api.expectGet(`${base}/events/${ev.id}`)).data).toEqual({ nul: "a\u0000b", lone: "\ud800" });
    });
  });

  describe("authentication", () => {
    it("no key, a malformed header or a wrong key is 401 UNAUTHORIZED", async () => {
      const tenant = await h.tenant();
      expectError(await h.api.get("/v1/tenants", { key: null }), 401, "UNAUTHORIZED");
      expectError(await h.api.get(`/v1/tenants/${tenant}`, { key: null }), 401, "UNAUTHORIZED");
      expectError(await h.api.get("/v1/tenants", { key: "wrong-key-but-long-enough" }), 401, "UNAUTHORIZED");
      expectError(await h.api.get("/v1/tenants", { key: "short" }), 401, "UNAUTHORIZED");
      expectError(
        await h.api.get("/v1/tenants", { key: null, headers: { authorization: `Basic ${btoa("admin:x")}` } }),
        401,
        "UNAUTHORIZED",
      );
      // Each case says what is wrong: no key at all, a header of the wrong shape, or a key hookd does not know.
      const messages = new Set([
        (await h.api.get("/v1/tenants", { key: null })).body.message,
        (await h.api.get("/v1/tenants", { key: "short" })).body.message,
        (await h.api.get("/v1/tenants", { key: "wrong-key-but-long-enough" })).body.message,
      ]);
      expect(messages.size).toBe(3);
      expect((await h.api.get("/v1/tenants", { key: null })).body.message).toMatch(/no API key/);
      expect((await h.api.get("/v1/tenants", { key: "wrong-key-but-long-enough" })).body.message).toMatch(/unknown or was revoked/);
      // A publish without a key stores nothing.
      expectError(await h.api.post(`/v1/tenants/${tenant}/events`, { type: "a.b", data: {} }, { key: null }), 401, "UNAUTHORIZED");
      expect(await h.api.deliveriesOf(tenant)).toHaveLength(0);
    });
  });

  describe("missing resources and conflicts", () => {
    it("answers 404 with the resource's own code, and 409 for a duplicate tenant", async () => {
      expectError(await h.api.get("/v1/tenants/nobody"), 404, "TENANT_NOT_FOUND");
      expectError(await h.api.post("/v1/tenants/nobody/events", { type: "a.b", data: {} }), 404, "TENANT_NOT_FOUND");
      expectError(await h.api.get("/v1/tenants/nobody/endpoints"), 404, "TENANT_NOT_FOUND");
      expectError(await h.api.get("/v1/tenants/nobody/deliveries"), 404, "TENANT_NOT_FOUND");
      expectError(await h.api.patch("/v1/tenants/nobody", { name: "x" }), 404, "TENANT_NOT_FOUND");
      expectError(await h.api.delete("/v1/tenants/nobody"), 404, "TENANT_NOT_FOUND");

      const tenant = await h.tenant();
      expectError(await h.api.get(`/v1/tenants/${tenant}/endpoints/ep_missing`), 404, "ENDPOINT_NOT_FOUND");
      expectError(await h.api.patch(`/v1/tenants/${tenant}/endpoints/ep_missing`, { description: "x" }), 404, "ENDPOINT_NOT_FOUND");
      expectError(await h.api.delete(`/v1/tenants/${tenant}/endpoints/ep_missing`), 404, "ENDPOINT_NOT_FOUND");
      expectError(await h.api.post(`/v1/tenants/${tenant}/endpoints/ep_missing/rotate-secret`, {}), 404, "ENDPOINT_NOT_FOUND");
      expectError(await h.api.get(`/v1/tenants/${tenant}/events/evt_missing`), 404, "EVENT_NOT_FOUND");
      expectError(await h.api.get(`/v1/tenants/${tenant}/deliveries/dlv_missing`), 404, "DELIVERY_NOT_FOUND");

      // Another tenant's resources are invisible through this tenant's path.
      const other = await h.tenant();
      const receiver = await h.receiver();
      const ep = await h.api.createEndpoint(other, { url: receiver.url });
      const ev = await h.api.publish(other, { type: "a.b", data: {} });
      const dlv = await h.api.onlyDeliveryOf(other, ev.id);
      expectError(await h.api.get(`/v1/tenants/${tenant}/endpoints/${ep.id}`), 404, "ENDPOINT_NOT_FOUND");
      expectError(await h.api.get(`/v1/tenants/${tenant}/events/${ev.id}`), 404, "EVENT_NOT_FOUND");
      expectError(await h.api.get(`/v1/tenants/${tenant}/deliveries/${dlv.id}`), 404, "DELIVERY_NOT_FOUND");
      expectError(await h.api.post(`/v1/tenants/${tenant}/deliveries/${dlv.id}/replay`), 404, "DELIVERY_NOT_FOUND");

      const id = `dup-${kind}`;
      await h.api.createTenant({ id, name: "first" });
      expectError(await h.api.post("/v1/tenants", { id, name: "second" }), 409, "TENANT_ALREADY_EXISTS");
      expect(await h.api.expectGet(`/v1/tenants/${id}`)).toMatchObject({ name: "first" });
    });

    it("an unknown route is 404 NOT_FOUND; a known path with another method is 405 with Allow", async () => {
      expectError(await h.api.get("/v1/nothing-here"), 404, "NOT_FOUND");
      expectError(await h.api.get("/v2/tenants"), 404, "NOT_FOUND");
      // Without a key every path but the public ones is 401, one that matches no route too: authentication is
      // decided on the matched route, never on how the URL was spelt (test/security/auth-before-body.test.ts).
      expectError(await h.api.get("/v2/tenants", { key: null }), 401, "UNAUTHORIZED");
      const put = await h.api.call("PUT", "/v1/tenants");
      expectError(put, 405, "METHOD_NOT_ALLOWED");
      expect(put.headers.allow).toBe("GET, HEAD, POST");
      const tenant = await h.tenant();
      const del = await h.api.call("POST", `/v1/tenants/${tenant}`);
      expectError(del, 405, "METHOD_NOT_ALLOWED");
      expect(del.headers.allow).toBe("DELETE, GET, HEAD, PATCH");
      // Still authenticated first: without a key, the path's methods are not revealed.
      expectError(await h.api.call("PUT", "/v1/tenants", { key: null }), 401, "UNAUTHORIZED");
    });
  });

  describe("resources", () => {
    it("updates, rotates and deletes an endpoint", async () => {
      const tenant = await h.tenant();
      const receiver = await h.receiver();
      const ep = await h.api.createEndpoint(tenant, { url: receiver.url, description: "old" });
      const patched = await h.api.patch(`/v1/tenants/${tenant}/endpoints/${ep.id}`, {
        description: "new",
        event_types: ["a.*", "a.*"],
        headers: { "x-team": "billing" },
      });
      expect(patched.status).toBe(200);
      // Header values are masked on reads (test/e2e/header-encryption.test.ts).
      expect(patched.body).toMatchObject({ description: "new", event_types: ["a.*"], headers: { "x-team": "[redacted]" } });
      expect(patched.body).not.toHaveProperty("secret");

      const rotated = await h.api.post(`/v1/tenants/${tenant}/endpoints/${ep.id}/rotate-secret`, {});
      expect(rotated.status).toBe(200);
      expect(rotated.body.secret).toMatch(/^whsec_/);
      expect(rotated.body.secret).not.toBe(ep.secret);

      const deleted = await h.api.delete(`/v1/tenants/${tenant}/endpoints/${ep.id}`);
      expect(deleted.status).toBe(204);
      expectError(await h.api.get(`/v1/tenants/${tenant}/endpoints/${ep.id}`), 404, "ENDPOINT_NOT_FOUND");
      expect((await h.api.publish(tenant, { type: "a.b", data: {} })).matched_endpoints).toBe(0);
    });

    it("updates and deletes a tenant with everything it owns", async () => {
      const tenant = await h.tenant();
      const patched = await h.api.patch(`/v1/tenants/${tenant}`, { name: "Renamed", metadata: { tier: 2 } });
      expect(patched.status).toBe(200);
      expect(patched.body).toMatchObject({ id: tenant, name: "Renamed", metadata: { tier: 2 } });
      await h.api.createEndpoint(tenant, { url: "http://127.0.0.1:9/", disabled: true });
      const ev = await h.api.publish(tenant, { type: "a.b", data: {} });
      expect((await h.api.delete(`/v1/tenants/${tenant}`)).status).toBe(204);
      expectError(await h.api.get(`/v1/tenants/${tenant}`), 404, "TENANT_NOT_FOUND");
      expectError(await h.api.get(`/v1/tenants/${tenant}/events/${ev.id}`), 404, "TENANT_NOT_FOUND");
    });
  });

  describe("pagination", () => {
    it("pages endpoints 3 at a time without duplicates or gaps", async () => {
      const tenant = await h.tenant();
      const created: string[] = [];
      for (let i = 0; i < 7; i++) {
        created.push((await h.api.createEndpoint(tenant, { url: `http://127.0.0.1:9/${i}`, disabled: true })).id);
      }
      const sizes: number[] = [];
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const qs: string = cursor ? `limit=3&cursor=${encodeURIComponent(cursor)}` : "limit=3";
        const page = await h.api.expectGet(`/v1/tenants/${tenant}/endpoints?${qs}`);
        sizes.push(page.data.length);
        seen.push(...page.data.map((e: { id: string }) => e.id));
        cursor = page.next_cursor;
        expect(sizes.length).toBeLessThan(5);
      } while (cursor !== null);
      expect(sizes).toEqual([3, 3, 1]);
      expect(new Set(seen).size).toBe(7);
      expect([...seen].sort()).toEqual([...created].sort());

      // Exactly one page's worth: no further (empty) page is promised.
      const full = await h.api.expectGet(`/v1/tenants/${tenant}/endpoints?limit=7`);
      expect(full.data).toHaveLength(7);
      expect(full.next_cursor).toBeNull();
    });

    it("lists tenants page by page", async () => {
      const mine = [await h.tenant(), await h.tenant(), await h.tenant()];
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const qs: string = cursor ? `limit=2&cursor=${encodeURIComponent(cursor)}` : "limit=2";
        const page = await h.api.expectGet(`/v1/tenants?${qs}`);
        expect(page.data.length).toBeLessThanOrEqual(2);
        seen.push(...page.data.map((t: { id: string }) => t.id));
        cursor = page.next_cursor;
        pages++;
      } while (cursor !== null && pages < 100);
      expect(cursor).toBeNull();
      expect(new Set(seen).size).toBe(seen.length);
      for (const id of mine) expect(seen).toContain(id);
    });

    it("lists deliveries newest first, filtered by status, across pages", async () => {
      const tenant = await h.tenant();
      const ok = await h.receiver();
      const bad = await h.receiver((_req, res) => {
        res.writeHead(400);
        res.end();
      });
      const epOk = await h.api.createEndpoint(tenant, { url: ok.url, event_types: ["ok.*"] });
      await h.api.createEndpoint(tenant, { url: bad.url, event_types: ["bad.*"] });
      const badEvents: string[] = [];
      for (let i = 0; i < 4; i++) {
        await h.api.publish(tenant, { type: "ok.thing", data: { i } });
        badEvents.push((await h.api.publish(tenant, { type: "bad.thing", data: { i } })).id);
      }
      await eventually(async () => {
        const all = await h.api.deliveriesOf(tenant);
        expect(all).toHaveLength(8);
        expect(all.every((d) => d.status === "succeeded" || d.status === "dead")).toBe(true);
      });

      const all = await h.api.deliveriesOf(tenant);
      const created = all.map((d) => Date.parse(d.created_at));
      expect(created).toEqual([...created].sort((a, b) => b - a));
      const ids = all.map((d) => d.id);
      expect(ids).toEqual([...ids].sort().reverse());

      const seen: Record<string, unknown>[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const qs: string = `status=dead,failed&limit=3${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`;
        const page = await h.api.expectGet(`/v1/tenants/${tenant}/deliveries?${qs}`);
        seen.push(...page.data);
        cursor = page.next_cursor;
        pages++;
      } while (cursor !== null && pages < 10);
      expect(pages).toBe(2);
      expect(seen).toHaveLength(4);
      expect(seen.every((d) => d.status === "dead")).toBe(true);
      // Newest first: the last bad event published comes first.
      expect(seen.map((d) => d.event_id)).toEqual([...badEvents].reverse());

      const succeeded = await h.api.deliveriesOf(tenant, { status: "succeeded", endpoint_id: epOk.id });
      expect(succeeded).toHaveLength(4);
      expect(await h.api.deliveriesOf(tenant, { status: "pending" })).toHaveLength(0);
    });
  });

  describe("health", () => {
    it("/healthz and /readyz answer 200 without a key", async () => {
      const live = await h.api.get("/healthz", { key: null });
      expect(live.status).toBe(200);
      expect(live.body).toEqual({ status: "ok" });
      const ready = await h.api.get("/readyz", { key: null });
      expect(ready.status).toBe(200);
      expect(ready.body).toEqual({ status: "ready" });
    });
  });
});
