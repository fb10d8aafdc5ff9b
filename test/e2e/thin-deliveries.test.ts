/**
 * Thin deliveries end to end, on both stores, with real receivers: a thin endpoint gets the envelope with null data
 * and a signed payload URL, the receiver fetches the full payload with it (signed like a webhook), the fetch is in
 * the delivery log, and expired, altered or foreign tokens are refused with a 4xx and log nothing. Events over the
 * full-payload limit are accepted only for a tenant with oversized_events: thin, and are then delivered thin even
 * to a full endpoint.
 */
import { request } from "undici";
import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { parseMasterKey } from "../../src/secrets/master-key.ts";
import { PayloadTokens } from "../../src/secrets/payload-token.ts";
import { SecretBox } from "../../src/secrets/secret-box.ts";
import { generateMasterKey } from "../../src/secrets/master-key.ts";
import { TEST_ENCRYPTION_KEY } from "../support/encryption-key.ts";
import { answer, type Receiver } from "../support/receiver.ts";
import { STORE_KINDS } from "../support/stores.ts";
import { type Json, useHookd, webhookHeaders } from "./harness.ts";

const FULL_LIMIT = 2_048;
const THIN_LIMIT = 64 * 1024;
/** The key the test hookd holds: tokens minted with it are genuine. */
const tokens = new PayloadTokens(new SecretBox(parseMasterKey(TEST_ENCRYPTION_KEY)));

async function fetchPayload(url: string, headers: Record<string, string> = {}) {
  const res = await request(url, { headers });
  const text = await res.body.text();
  return { status: res.statusCode, headers: res.headers, text, body: JSON.parse(text) as Json };
}

function thinBody(r: Receiver, i = 0): Json {
  return JSON.parse(r.received[i]!.body) as Json;
}

describe.each(STORE_KINDS)("thin deliveries (%s)", (kind) => {
  const h = useHookd(kind, { maxEventBytes: FULL_LIMIT, maxThinEventBytes: THIN_LIMIT, payloadUrlTtlS: 120 });

  it("sends null data and a signed URL; the receiver fetches the full payload with it, and the fetch is logged", async () => {
    const tenant = await h.tenant();
    const receiver = await h.receiver(answer(204));
    const ep = await h.api.createEndpoint(tenant, { url: receiver.url, payload_mode: "thin" });
    expect(ep.payload_mode).toBe("thin");
    const data = { invoice: "in_1", amount: 4200, lines: [{ sku: "A", qty: 2 }] };
    const ev = await h.api.publish(tenant, { type: "invoice.paid", data });
    await receiver.waitFor(1);

    const sent = receiver.received[0]!;
    const body = thinBody(receiver);
    expect(Object.keys(body)).toEqual(["id", "type", "timestamp", "data", "payload_url"]);
    expect(body).toMatchObject({ id: ev.id, type: "invoice.paid", data: null });
    expect(sent.body).not.toContain("in_1");
    // The URL is inside the signed body.
    expect(new Webhook(ep.secret).verify(sent.body, webhookHeaders(sent.headers))).toEqual(body);
    const url = new URL(body.payload_url);
    expect(`${url.origin}${url.pathname}`).toBe(`${h.app.url}/v1/events/${ev.id}/payload`);

    const fetched = await fetchPayload(body.payload_url, { "user-agent": "receiver-test/1.0" });
    expect(fetched.status).toBe(200);
    expect(fetched.headers["cache-control"]).toBe("no-store");
    expect(fetched.body).toEqual({ id: ev.id, type: "invoice.paid", timestamp: ev.created_at, data });
    // Signed like a webhook, so the receiver's verifier checks it.
    expect(new Webhook(ep.secret).verify(fetched.text, webhookHeaders(fetched.headers))).toEqual(fetched.body);

    const delivery = await h.api.onlyDeliveryOf(tenant, ev.id);
    const detail = await h.api.waitForDelivery(tenant, delivery.id, (d) => d.status === "succeeded");
    expect(detail.payload_fetches).toEqual([
      { id: expect.stringMatching(/^pfx_/), fetched_at: expect.any(String), remote_address: "127.0.0.1", user_agent: "receiver-test/1.0" },
    ]);
    // The log shows the thin body as sent, the URL's token redacted.
    expect(JSON.parse(detail.request.body)).toEqual({ ...body, payload_url: `${h.app.url}/v1/events/${ev.id}/payload?token=[redacted]` });
  });

  it("refuses expired, altered, foreign and misdirected tokens with a 4xx, and logs none of them", async () => {
    const tenant = await h.tenant();
    const receiver = await h.receiver(answer(204));
    const ep = await h.api.createEndpoint(tenant, { url: receiver.url, payload_mode: "thin" });
    const ev = await h.api.publish(tenant, { type: "a.b", data: { secret: "s3" } });
    const other = await h.api.publish(tenant, { type: "a.b", data: { secret: "other" } });
    const base = `${h.app.url}/v1/events`;
    const claims = { tenantId: tenant, endpointId: ep.id, eventId: ev.id, expiresAt: Date.now() + 60_000 };
    const good = tokens.mint(claims);
    expect((await fetchPayload(`${base}/${ev.id}/payload?token=${good}`)).status).toBe(200);

    const cases: [string, string, number, string][] = [
      ["expired", `${ev.id}/payload?token=${tokens.mint({ ...claims, expiresAt: Date.now() - 1_000 })}`, 401, "PAYLOAD_TOKEN_EXPIRED"],
      ["for another event", `${other.id}/payload?token=${good}`, 401, "INVALID_PAYLOAD_TOKEN"],
      ["altered", `${ev.id}/payload?token=${good.slice(0, -2)}AA`, 401, "INVALID_PAYLOAD_TOKEN"],
      [
        "signed with another key",
        `${ev.id}/payload?token=${new PayloadTokens(new SecretBox(generateMasterKey())).mint(claims)}`,
        401,
        "INVALID_PAYLOAD_TOKEN",
      ],
      ["another tenant's", `${ev.id}/payload?token=${tokens.mint({ ...claims, tenantId: "someone-else" })}`, 401, "INVALID_PAYLOAD_TOKEN"],
      ["missing", `${ev.id}/payload`, 400, "VALIDATION_FAILED"],
    ];
    for (const [what, path, status, code] of cases) {
      const res = await fetchPayload(`${base}/${path}`);
      expect([what, res.status, res.body.code], res.text).toEqual([what, status, code]);
      expect(res.text).not.toContain("s3");
    }
    // An API key is no way in either: the token is the only credential.
    const withKey = await h.api.get(`/v1/events/${ev.id}/payload?token=x`);
    expect([withKey.status, withKey.body.code]).toEqual([401, "INVALID_PAYLOAD_TOKEN"]);

    // A token outlives nothing: once its endpoint is deleted it is refused.
    const gone = await h.api.createEndpoint(tenant, { url: receiver.url, payload_mode: "thin", event_types: ["x.*"] });
    const orphan = tokens.mint({ ...claims, endpointId: gone.id });
    expect((await fetchPayload(`${base}/${ev.id}/payload?token=${orphan}`)).status).toBe(200);
    expect((await h.api.delete(`/v1/tenants/${tenant}/endpoints/${gone.id}`)).status).toBe(204);
    const refused = await fetchPayload(`${base}/${ev.id}/payload?token=${orphan}`);
    expect([refused.status, refused.body.code]).toEqual([401, "INVALID_PAYLOAD_TOKEN"]);

    // Only the good fetch is in the log.
    const delivery = await h.api.onlyDeliveryOf(tenant, ev.id);
    const detail = await h.api.getDelivery(tenant, delivery.id);
    expect(detail.payload_fetches).toHaveLength(1);
  });

  it("accepts an event over the size limit only for a tenant with oversized_events: thin, and then delivers it thin", async () => {
    const tenant = await h.tenant();
    const receiver = await h.receiver(answer(204));
    const ep = await h.api.createEndpoint(tenant, { url: receiver.url }); // a full endpoint
    const big = { blob: "x".repeat(FULL_LIMIT * 4) };
    const small = { n: 1 };

    const refused = await h.api.post(`/v1/tenants/${tenant}/events`, { type: "big.one", data: big });
    expect([refused.status, refused.body.code]).toEqual([413, "PAYLOAD_TOO_LARGE"]);
    expect(refused.body.message).toContain("oversized_events");
    const refusedBatch = await h.api.post(`/v1/tenants/${tenant}/events/batch`, {
      events: [{ type: "big.one", data: small }, { type: "big.one", data: big }],
    });
    expect([refusedBatch.status, refusedBatch.body.code]).toEqual([413, "PAYLOAD_TOO_LARGE"]);
    expect(await h.api.deliveriesOf(tenant)).toEqual([]);

    const patched = await h.api.patch(`/v1/tenants/${tenant}`, { oversized_events: "thin" });
    expect([patched.status, patched.body.oversized_events]).toEqual([200, "thin"]);
    const ev = await h.api.publish(tenant, { type: "big.one", data: big });
    expect(ev.matched_endpoints).toBe(1);
    const batch = await h.api.expectPost(
      `/v1/tenants/${tenant}/events/batch`,
      { events: [{ type: "small.one", data: small }, { type: "big.two", data: big }] },
      202,
    );
    const tooBig = await h.api.post(`/v1/tenants/${tenant}/events`, { type: "big.one", data: { blob: "x".repeat(THIN_LIMIT) } });
    expect([tooBig.status, tooBig.body.code]).toEqual([413, "PAYLOAD_TOO_LARGE"]);

    await receiver.waitFor(3);
    const byId = new Map(receiver.received.map((r) => [String(r.headers["webhook-id"]), JSON.parse(r.body) as Json]));
    // Large events go thin to the full endpoint; the small one goes in full.
    expect(byId.get(ev.id)).toMatchObject({ data: null, payload_url: expect.any(String) });
    expect(byId.get(batch.data[1].id)).toMatchObject({ data: null, payload_url: expect.any(String) });
    expect(byId.get(batch.data[0].id)).toMatchObject({ data: small });
    expect(byId.get(batch.data[0].id)).not.toHaveProperty("payload_url");
    const fetched = await fetchPayload(byId.get(ev.id)!.payload_url);
    expect(fetched.body.data).toEqual(big);
    expect(new Webhook(ep.secret).verify(fetched.text, webhookHeaders(fetched.headers))).toEqual(fetched.body);
    // The event itself is stored whole and reads back whole.
    expect((await h.api.expectGet(`/v1/tenants/${tenant}/events/${ev.id}`)).data).toEqual(big);
  });

  it("switches an endpoint between full and thin", async () => {
    const tenant = await h.tenant();
    const receiver = await h.receiver(answer(204));
    const ep = await h.api.createEndpoint(tenant, { url: receiver.url });
    await h.api.publish(tenant, { type: "a.b", data: { n: 1 } });
    await receiver.waitFor(1);
    expect(thinBody(receiver, 0)).toMatchObject({ data: { n: 1 } });
    const patched = await h.api.patch(`/v1/tenants/${tenant}/endpoints/${ep.id}`, { payload_mode: "thin" });
    expect(patched.body.payload_mode).toBe("thin");
    await h.api.publish(tenant, { type: "a.b", data: { n: 2 } });
    await receiver.waitFor(2);
    expect(thinBody(receiver, 1)).toMatchObject({ data: null });
    const bad = await h.api.patch(`/v1/tenants/${tenant}/endpoints/${ep.id}`, { payload_mode: "slim" });
    expect([bad.status, bad.body.code]).toEqual([400, "VALIDATION_FAILED"]);
  });
});
