/**
 * End to end, on both stores: operational events recorded by real deliveries, listed by the admin API, and delivered
 * signed to a real operator receiver (HOOKD_OPERATOR_WEBHOOK_URL) that verifies every signature.
 */
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { App } from "../../src/app.ts";
import { OPERATOR_TENANT_ID } from "../../src/domain/operational-events.ts";
import { hashApiKey } from "../../src/http/auth.ts";
import { answer, Receiver } from "../support/receiver.ts";
import { createTestDatabase, STORE_KINDS, type TestDatabase } from "../support/stores.ts";
import { Api, eventually, type Json, sequence, startHookd, webhookHeaders } from "./harness.ts";

const OPERATOR_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

describe.each(STORE_KINDS)("operational events end to end (%s)", (kind) => {
  let db: TestDatabase;
  let app: App;
  let api: Api;
  let operator: Receiver;
  const receivers: Receiver[] = [];

  beforeAll(async () => {
    operator = await new Receiver().start();
    db = await createTestDatabase(kind);
    app = await startHookd(db.url, {
      operatorWebhookUrl: `${operator.url}/ops`,
      operatorWebhookSecret: OPERATOR_SECRET,
    });
    api = new Api(app.url!);
  });

  afterAll(async () => {
    for (const r of receivers) await r.close();
    await operator?.close();
    await app?.close();
    await db?.destroy();
  });

  async function receiver(handler: Receiver["handler"]): Promise<Receiver> {
    const r = await new Receiver().start();
    r.handler = handler;
    receivers.push(r);
    return r;
  }

  /** Every operator webhook received so far, each verified with the operator secret (verify throws otherwise). */
  function verifiedOperatorEvents(): Json[] {
    const wh = new Webhook(OPERATOR_SECRET);
    return operator.received.map((r) => {
      expect(r.path).toBe("/ops");
      return wh.verify(r.body, webhookHeaders(r.headers)) as Json;
    });
  }

  async function operatorEvent(type: string, match: (data: Json) => boolean): Promise<Json> {
    return eventually(() => {
      const found = verifiedOperatorEvents().find((e) => e.type === type && match(e.data));
      if (!found) throw new Error(`no ${type} yet; got ${JSON.stringify(verifiedOperatorEvents().map((e) => e.type))}`);
      return found;
    }, 15_000);
  }

  it("delivers endpoint.disabled and delivery.dead, signed, when an endpoint answers 410", async () => {
    const tenant = (await api.createTenant({ name: "gone" })).id as string;
    const gone = await receiver(answer(410));
    const ep = await api.createEndpoint(tenant, { url: gone.url });
    const published = await api.publish(tenant, { type: "invoice.paid", data: { n: 1 } });

    const disabled = await operatorEvent("endpoint.disabled", (d) => d.endpoint_id === ep.id);
    expect(disabled.data).toMatchObject({
      type: "endpoint.disabled",
      tenant_id: tenant,
      endpoint_id: ep.id,
      event_id: published.id,
      data: { reason: "endpoint answered 410 Gone" },
    });
    const dead = await operatorEvent("delivery.dead", (d) => d.endpoint_id === ep.id);
    expect(dead.data).toMatchObject({
      tenant_id: tenant,
      event_id: published.id,
      data: { attempts: 1, last_status_code: 410, last_error: "HTTP 410" },
    });
    // The webhook-id is the operational event's id, so the operator can deduplicate.
    const ids = operator.received.map((r) => r.headers["webhook-id"]);
    expect(ids).toContain(dead.data.id);

    // The admin API lists the same events.
    const listed = await api.expectGet(`/v1/operational-events?tenant_id=${tenant}`);
    expect(listed.data.map((e: Json) => e.type).sort()).toEqual(["delivery.dead", "endpoint.disabled"]);
    expect(listed.data.find((e: Json) => e.type === "delivery.dead").id).toBe(dead.data.id);

    // Re-enabling through the API records and delivers endpoint.enabled.
    const patched = await api.patch(`/v1/tenants/${tenant}/endpoints/${ep.id}`, { disabled: false });
    expect(patched.status).toBe(200);
    await operatorEvent("endpoint.enabled", (d) => d.endpoint_id === ep.id);
  });

  it("delivers delivery.recovered when a delivery succeeds after a failed attempt", async () => {
    const tenant = (await api.createTenant({ name: "flaky" })).id as string;
    const flaky = await receiver(sequence(503, 200));
    const ep = await api.createEndpoint(tenant, { url: flaky.url });
    const published = await api.publish(tenant, { type: "order.created", data: {} });
    const recovered = await operatorEvent("delivery.recovered", (d) => d.endpoint_id === ep.id);
    expect(recovered.data).toMatchObject({ tenant_id: tenant, event_id: published.id, data: { attempts: 2 } });
    // A first-attempt success is not an operational event.
    const quick = await receiver(answer(200));
    const ep2 = await api.createEndpoint(tenant, { url: quick.url });
    await api.publish(tenant, { type: "order.created", data: {} });
    await quick.waitFor(1);
    const page = await api.expectGet(`/v1/operational-events?tenant_id=${tenant}&type=delivery.recovered,delivery.dead`);
    expect(page.data.every((e: Json) => e.endpoint_id !== ep2.id)).toBe(true);
  });

  it("keeps the operator's deliveries in the ordinary log of the reserved tenant", async () => {
    const log = await api.expectGet(`/v1/tenants/${OPERATOR_TENANT_ID}/deliveries?status=succeeded`);
    expect(log.data.length).toBeGreaterThan(0);
    const detail = await api.getDelivery(OPERATOR_TENANT_ID, log.data[0].id);
    expect(detail.attempts[0]).toMatchObject({ status_code: 204, outcome: "success" });
  });

  it("lists operational events for the admin only, in pages, filtered by type", async () => {
    expect((await api.get("/v1/operational-events", { key: null })).status).toBe(401);
    const tenant = (await api.createTenant({ name: "keyed" })).id as string;
    const tenantKey = "tenant-key-0123456789abcdef";
    await app.store.putApiKey({ id: "key_t1", tenantId: tenant, hash: hashApiKey(tenantKey), createdAt: Date.now() });
    const forbidden = await api.get("/v1/operational-events", { key: tenantKey });
    expect(forbidden.status).toBe(403);
    expect(forbidden.body.code).toBe("FORBIDDEN");

    const first = await api.expectGet("/v1/operational-events?limit=1");
    expect(first.data).toHaveLength(1);
    expect(first.next_cursor).toEqual(expect.any(String));
    const second = await api.expectGet(`/v1/operational-events?limit=1&cursor=${first.next_cursor}`);
    expect(second.data[0].id < first.data[0].id).toBe(true);
    const enabled = await api.expectGet("/v1/operational-events?type=endpoint.enabled");
    expect(enabled.data.length).toBeGreaterThan(0);
    expect(enabled.data.every((e: Json) => e.type === "endpoint.enabled")).toBe(true);

    const bad = await api.get("/v1/operational-events?type=NOT%20A%20TYPE");
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe("VALIDATION_FAILED");
  });

  it("reserves tenant ids starting with _hookd", async () => {
    const res = await api.post("/v1/tenants", { id: "_hookd_mine", name: "x" });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe("TENANT_ID_RESERVED");
  });
});
