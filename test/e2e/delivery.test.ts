/**
 * End to end, on both stores: publish -> signed POST to a real receiver -> delivery log; and fan-out by event type.
 */
import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { VERSION } from "../../src/version.ts";
import { STORE_KINDS } from "../support/stores.ts";
import { answer } from "../support/receiver.ts";
import { eventually, parked, useHookd, webhookHeaders } from "./harness.ts";

describe.each(STORE_KINDS)("delivery end to end (%s)", (kind) => {
  const h = useHookd(kind);

  it("creates a tenant with its own id and one with a generated id", async () => {
    const own = await h.api.createTenant({ id: `acme-${kind}`, name: "Acme", metadata: { plan: "pro" } });
    expect(own).toMatchObject({ id: `acme-${kind}`, name: "Acme", metadata: { plan: "pro" } });
    const generated = await h.api.createTenant({ name: "Generated" });
    expect(generated.id).toMatch(/^ten_[0-9A-Z]{26}$/);
    expect(await h.api.expectGet(`/v1/tenants/${generated.id}`)).toMatchObject({ id: generated.id, name: "Generated" });
  });

  it("delivers a published event once, signed, with the endpoint's headers, and logs the attempt", async () => {
    const tenant = await h.tenant();
    const receiver = await h.receiver();
    const created = await h.api.createEndpoint(tenant, {
      url: `${receiver.url}/hooks?src=e2e`,
      headers: { "X-Customer": "c-42", Authorization: "Bearer receiver-token" },
      description: "main",
    });
    expect(created.secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    expect(created).toMatchObject({ tenant_id: tenant, event_types: ["*"], disabled: false, timeout_ms: 15000 });

    const fetched = await h.api.expectGet(`/v1/tenants/${tenant}/endpoints/${created.id}`);
    expect(fetched).not.toHaveProperty("secret");
    expect(JSON.stringify(fetched)).not.toContain(created.secret);
    expect(fetched).toMatchObject({ id: created.id, url: `${receiver.url}/hooks?src=e2e` });
    const listed = await h.api.expectGet(`/v1/tenants/${tenant}/endpoints`);
    expect(JSON.stringify(listed)).not.toContain(created.secret);

    const data = { invoice: "in_1", amount: 4200, lines: [{ sku: "a", qty: 2 }], note: "héllo \u2603", nested: { z: 1, a: null } };
    const before = Date.now();
    const published = await h.api.publish(tenant, { type: "invoice.paid", data });
    expect(Object.keys(published).sort()).toEqual(["created_at", "id", "matched_endpoints", "type"]);
    expect(published).toMatchObject({ type: "invoice.paid", matched_endpoints: 1 });
    expect(published.id).toMatch(/^evt_/);
    expect(Date.parse(published.created_at)).toBeGreaterThanOrEqual(before - 1000);

    await receiver.waitFor(1);
    const delivery = await h.api.onlyDeliveryOf(tenant, published.id);
    const done = await h.api.waitForDelivery(tenant, delivery.id, (d) => d.status === "succeeded");
    expect(receiver.received).toHaveLength(1);

    const req = receiver.received[0]!;
    expect(req.method).toBe("POST");
    expect(req.path).toBe("/hooks?src=e2e");
    expect(req.headers["content-type"]).toBe("application/json");
    expect(req.headers["user-agent"]).toBe(`hookd/${VERSION}`);
    expect(req.headers["user-agent"]).toMatch(/^hookd\//);
    expect(req.headers["webhook-attempt"]).toBe("1");
    expect(req.headers["webhook-id"]).toBe(published.id);
    expect(req.headers["x-customer"]).toBe("c-42");
    expect(req.headers.authorization).toBe("Bearer receiver-token");

    // The Standard Webhooks reference verifier accepts the signature with the secret the API returned.
    const verified = new Webhook(created.secret).verify(req.body, webhookHeaders(req.headers));
    expect(verified).toEqual({ id: published.id, type: "invoice.paid", timestamp: published.created_at, data });
    // A tampered body must not verify, so the check above is not vacuous.
    expect(() => new Webhook(created.secret).verify(req.body.replace("4200", "4201"), webhookHeaders(req.headers))).toThrow();
    const ts = Number(req.headers["webhook-timestamp"]);
    expect(Math.abs(ts - Date.now() / 1000)).toBeLessThan(60);

    expect(done).toMatchObject({
      id: delivery.id,
      event_id: published.id,
      endpoint_id: created.id,
      status: "succeeded",
      attempts: [{ attempt: 1, status_code: 204, outcome: "success", error: null, error_class: null }],
      last_status_code: 204,
      next_attempt_at: null,
    });
    expect(done.attempts).toHaveLength(1);

    const event = await h.api.expectGet(`/v1/tenants/${tenant}/events/${published.id}`);
    expect(event).toMatchObject({ id: published.id, type: "invoice.paid", data, created_at: published.created_at });
    expect(event.deliveries).toHaveLength(1);
    expect(event.deliveries[0]).toMatchObject({ id: delivery.id, endpoint_id: created.id, status: "succeeded", attempts: 1 });
  });

  it("fans out to the endpoints whose event types match, and to no disabled endpoint", async () => {
    const tenant = await h.tenant();
    const all = await h.receiver();
    const invoices = await h.receiver();
    const users = await h.receiver();
    const epAll = await h.api.createEndpoint(tenant, { url: all.url, event_types: ["*"] });
    const epInvoices = await h.api.createEndpoint(tenant, { url: invoices.url, event_types: ["invoice.*"] });
    const epUsers = await h.api.createEndpoint(tenant, { url: users.url, event_types: ["user.created"] });

    const paid = await h.api.publish(tenant, { type: "invoice.paid", data: { n: 1 } });
    expect(paid.matched_endpoints).toBe(2);
    await all.waitFor(1);
    await invoices.waitFor(1);
    await eventually(async () => {
      const list = await h.api.deliveriesOf(tenant, { event_id: paid.id });
      expect(list.map((d) => d.endpoint_id).sort()).toEqual([epAll.id, epInvoices.id].sort());
      expect(list.every((d) => d.status === "succeeded")).toBe(true);
    });
    expect(all.received.map((r) => r.headers["webhook-id"])).toEqual([paid.id]);
    expect(invoices.received.map((r) => r.headers["webhook-id"])).toEqual([paid.id]);
    expect(users.received).toHaveLength(0);

    // `invoice.*` does not match `invoice` itself; exact names match only themselves.
    const created = await h.api.publish(tenant, { type: "user.created", data: {} });
    expect(created.matched_endpoints).toBe(2);
    await users.waitFor(1);
    await all.waitFor(2);
    expect(users.received[0]!.headers["webhook-id"]).toBe(created.id);

    // Nothing matches when the only catch-all is disabled: the event is stored with no deliveries.
    const patched = await h.api.patch(`/v1/tenants/${tenant}/endpoints/${epAll.id}`, { disabled: true });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ disabled: true, disabled_reason: expect.any(String) });
    const orphan = await h.api.publish(tenant, { type: "order.shipped", data: { x: [1, 2] } });
    expect(orphan.matched_endpoints).toBe(0);
    const stored = await h.api.expectGet(`/v1/tenants/${tenant}/events/${orphan.id}`);
    expect(stored).toMatchObject({ id: orphan.id, type: "order.shipped", data: { x: [1, 2] }, deliveries: [] });

    // The disabled endpoint gets no new deliveries even for a type it subscribes to; the enabled ones still do.
    const paid2 = await h.api.publish(tenant, { type: "invoice.paid", data: { n: 2 } });
    expect(paid2.matched_endpoints).toBe(1);
    await invoices.waitFor(2);
    const paid2Deliveries = await h.api.deliveriesOf(tenant, { event_id: paid2.id });
    expect(paid2Deliveries.map((d) => d.endpoint_id)).toEqual([epInvoices.id]);
    await h.api.waitForDelivery(tenant, paid2Deliveries[0]!.id, (d) => d.status === "succeeded");
    expect(all.received).toHaveLength(2);
    expect((await h.api.deliveriesOf(tenant, { endpoint_id: epAll.id })).length).toBe(2);
    expect(users.received).toHaveLength(1);
    expect((await h.api.deliveriesOf(tenant, { endpoint_id: epUsers.id })).length).toBe(1);
  });

  it("signs only with a secret rotated without overlap from the next delivery on", async () => {
    const tenant = await h.tenant();
    const receiver = await h.receiver();
    const ep = await h.api.createEndpoint(tenant, { url: receiver.url });
    const rotated = await h.api.post(`/v1/tenants/${tenant}/endpoints/${ep.id}/rotate-secret`, { expire_old_after_s: 0 });
    expect(rotated.status).toBe(200);
    const fresh = rotated.body.secret as string;
    expect(fresh).not.toBe(ep.secret);

    const event = await h.api.publish(tenant, { type: "a.b", data: { after: "rotation" } });
    await receiver.waitFor(1);
    const req = receiver.received[0]!;
    expect(new Webhook(fresh).verify(req.body, webhookHeaders(req.headers))).toMatchObject({ id: event.id });
    expect(() => new Webhook(ep.secret).verify(req.body, webhookHeaders(req.headers))).toThrow();
  });

  it("sends a retry to the endpoint's current URL after a PATCH", async () => {
    const tenant = await h.tenant();
    const old = await h.receiver(answer(500));
    const moved = await h.receiver();
    const ep = await h.api.createEndpoint(tenant, { url: old.url, headers: { "x-version": "1" } });
    const event = await h.api.publish(tenant, { type: "a.b", data: {} });
    await old.waitFor(1);
    // The retry is due a second after the first attempt: the change lands well before it.
    const patched = await h.api.patch(`/v1/tenants/${tenant}/endpoints/${ep.id}`, {
      url: `${moved.url}/v2`,
      headers: { "x-version": "2" },
    });
    expect(patched.status).toBe(200);
    await moved.waitFor(1);
    const delivery = await h.api.onlyDeliveryOf(tenant, event.id);
    const done = await h.api.waitForDelivery(tenant, delivery.id, (d) => d.status === "succeeded");
    expect(done.attempts.map((a: { status_code: number }) => a.status_code)).toEqual([500, 204]);
    expect(old.received).toHaveLength(1);
    expect(moved.received[0]).toMatchObject({ path: "/v2" });
    expect(moved.received[0]!.headers["webhook-attempt"]).toBe("2");
    expect(moved.received[0]!.headers["x-version"]).toBe("2");
  });

  it("keeps delivering after an endpoint is deleted while its request is in flight", async () => {
    const tenant = await h.tenant();
    const slow = parked(200);
    const doomed = await h.receiver(slow.handler);
    const ep = await h.api.createEndpoint(tenant, { url: doomed.url, event_types: ["doomed.*"] });
    const event = await h.api.publish(tenant, { type: "doomed.one", data: {} });
    await doomed.waitFor(1);
    const delivery = await h.api.onlyDeliveryOf(tenant, event.id);

    expect((await h.api.delete(`/v1/tenants/${tenant}/endpoints/${ep.id}`)).status).toBe(204);
    slow.release();
    const gone = await h.api.get(`/v1/tenants/${tenant}/deliveries/${delivery.id}`);
    expect(gone.status).toBe(404);
    expect(gone.body.code).toBe("DELIVERY_NOT_FOUND");

    // The worker recorded (or dropped) the orphaned attempt and carries on with other work.
    const healthy = await h.receiver();
    await h.api.createEndpoint(tenant, { url: healthy.url, event_types: ["ok.*"] });
    const next = await h.api.publish(tenant, { type: "ok.one", data: {} });
    await healthy.waitFor(1);
    const nextDelivery = await h.api.onlyDeliveryOf(tenant, next.id);
    await h.api.waitForDelivery(tenant, nextDelivery.id, (d) => d.status === "succeeded");
    expect(doomed.received).toHaveLength(1);
    // The event outlives its endpoint, without deliveries.
    expect(await h.api.expectGet(`/v1/tenants/${tenant}/events/${event.id}`)).toMatchObject({ deliveries: [] });
  });
});
