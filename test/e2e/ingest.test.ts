/**
 * End to end, on both stores: Idempotency-Key, caller-chosen event ids, and batch publishing.
 */
import { describe, expect, it } from "vitest";
import { STORE_KINDS } from "../support/stores.ts";
import { eventually, useHookd } from "./harness.ts";

describe.each(STORE_KINDS)("ingest end to end (%s)", (kind) => {
  const h = useHookd(kind);

  it("answers a repeated Idempotency-Key with the stored 202 and creates nothing new", async () => {
    const tenant = await h.tenant();
    const receiver = await h.receiver();
    await h.api.createEndpoint(tenant, { url: receiver.url });
    const body = { type: "order.created", data: { order: 7, items: ["a", "b"] } };
    const key = { "idempotency-key": `order-7-${kind}` };

    const first = await h.api.post(`/v1/tenants/${tenant}/events`, body, { headers: key });
    expect(first.status).toBe(202);
    expect(first.headers["idempotent-replayed"]).toBeUndefined();
    expect(first.body).toMatchObject({ type: "order.created", matched_endpoints: 1 });

    const second = await h.api.post(`/v1/tenants/${tenant}/events`, body, { headers: key });
    expect(second.status).toBe(202);
    expect(second.headers["idempotent-replayed"]).toBe("true");
    expect(second.text).toBe(first.text);
    expect(second.headers["content-type"]).toMatch(/^application\/json/);

    await receiver.waitFor(1);
    await eventually(async () => {
      const list = await h.api.deliveriesOf(tenant);
      expect(list).toHaveLength(1);
      expect(list[0]).toMatchObject({ event_id: first.body.id, status: "succeeded" });
    });
    expect(receiver.received).toHaveLength(1);

    // Same key, different body: refused, and still nothing new.
    const mismatch = await h.api.post(
      `/v1/tenants/${tenant}/events`,
      { ...body, data: { order: 8, items: [] } },
      { headers: key },
    );
    expect(mismatch.status).toBe(422);
    expect(mismatch.body).toMatchObject({ code: "IDEMPOTENCY_KEY_MISMATCH", message: expect.any(String) });
    expect(await h.api.deliveriesOf(tenant)).toHaveLength(1);

    // Keys are per tenant: another tenant may use the same key for its own event.
    const otherTenant = await h.tenant();
    const other = await h.api.post(`/v1/tenants/${otherTenant}/events`, body, { headers: key });
    expect(other.status).toBe(202);
    expect(other.headers["idempotent-replayed"]).toBeUndefined();
    expect(other.body.id).not.toBe(first.body.id);
  });

  it("treats a repeated caller-chosen event id as the same event, and other content under it as a conflict", async () => {
    const tenant = await h.tenant();
    const receiver = await h.receiver();
    await h.api.createEndpoint(tenant, { url: receiver.url });
    const event = { id: `evt-caller-${kind}`, type: "user.signup", data: { email: "a@example.com", n: 1 } };

    const first = await h.api.publish(tenant, event);
    expect(first).toMatchObject({ id: event.id, type: "user.signup", matched_endpoints: 1 });
    const again = await h.api.post(`/v1/tenants/${tenant}/events`, event);
    expect(again.status).toBe(202);
    expect(again.body).toMatchObject({ id: event.id, type: "user.signup", matched_endpoints: 1 });
    expect(again.body.matched_endpoints).toBe(1);
    expect(again.body.created_at).toBe(first.created_at);

    await receiver.waitFor(1);
    await eventually(async () => {
      const list = await h.api.deliveriesOf(tenant);
      expect(list).toHaveLength(1);
      expect(list[0]!.status).toBe("succeeded");
    });
    expect(receiver.received).toHaveLength(1);
    expect(receiver.received[0]!.headers["webhook-id"]).toBe(event.id);

    const otherData = await h.api.post(`/v1/tenants/${tenant}/events`, { ...event, data: { email: "b@example.com", n: 1 } });
    expect(otherData.status).toBe(409);
    expect(otherData.body).toMatchObject({ code: "EVENT_ID_CONFLICT", message: expect.any(String) });
    const otherType = await h.api.post(`/v1/tenants/${tenant}/events`, { ...event, type: "user.deleted" });
    expect(otherType.status).toBe(409);
    expect(otherType.body.code).toBe("EVENT_ID_CONFLICT");

    // The stored event is unchanged and still has exactly one delivery.
    const stored = await h.api.expectGet(`/v1/tenants/${tenant}/events/${event.id}`);
    expect(stored).toMatchObject({ id: event.id, type: "user.signup", data: event.data });
    expect(stored.deliveries).toHaveLength(1);
    expect(receiver.received).toHaveLength(1);
  });

  it("publishes a batch of 50 events, each delivered once with its own webhook-id", async () => {
    const tenant = await h.tenant();
    const receiver = await h.receiver();
    await h.api.createEndpoint(tenant, { url: receiver.url });
    const events = Array.from({ length: 50 }, (_, i) => ({ type: `batch.item${i % 3}`, data: { i } }));

    const res = await h.api.post(`/v1/tenants/${tenant}/events/batch`, { events });
    expect(res.status).toBe(202);
    expect(Object.keys(res.body)).toEqual(["data"]);
    expect(res.body.data).toHaveLength(50);
    res.body.data.forEach((item: Record<string, unknown>, i: number) => {
      expect(item).toMatchObject({ type: `batch.item${i % 3}`, matched_endpoints: 1 });
    });
    const ids = res.body.data.map((e: { id: string }) => e.id) as string[];
    expect(new Set(ids).size).toBe(50);

    await receiver.waitFor(50);
    const received = receiver.received.map((r) => r.headers["webhook-id"] as string);
    expect(new Set(received).size).toBe(50);
    expect([...received].sort()).toEqual([...ids].sort());
    for (const r of receiver.received) {
      const body = JSON.parse(r.body) as { id: string; data: { i: number } };
      expect(ids[body.data.i]).toBe(body.id);
    }
    await eventually(async () => {
      const list = await h.api.deliveriesOf(tenant, { status: "succeeded" });
      expect(list).toHaveLength(50);
    });
    expect(receiver.received).toHaveLength(50);
  });

  it("answers a repeated batch with its Idempotency-Key from the stored answer", async () => {
    const tenant = await h.tenant();
    const events = [
      { type: "x.y", data: { a: 1 } },
      { type: "x.z", data: { a: 2 } },
    ];
    const key = { "idempotency-key": "batch-1" };
    const first = await h.api.post(`/v1/tenants/${tenant}/events/batch`, { events }, { headers: key });
    expect(first.status).toBe(202);
    const second = await h.api.post(`/v1/tenants/${tenant}/events/batch`, { events }, { headers: key });
    expect(second.status).toBe(202);
    expect(second.headers["idempotent-replayed"]).toBe("true");
    expect(second.body).toEqual(first.body);
  });

  it("refuses a batch of 1001 events, and an empty one, without storing anything", async () => {
    const tenant = await h.tenant();
    const receiver = await h.receiver();
    await h.api.createEndpoint(tenant, { url: receiver.url });
    const events = Array.from({ length: 1001 }, (_, i) => ({ type: "too.many", data: { i } }));
    const res = await h.api.post(`/v1/tenants/${tenant}/events/batch`, { events });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ code: "VALIDATION_FAILED", message: expect.any(String) });
    const empty = await h.api.post(`/v1/tenants/${tenant}/events/batch`, { events: [] });
    expect(empty.status).toBe(400);
    expect(empty.body.code).toBe("VALIDATION_FAILED");
    expect(await h.api.deliveriesOf(tenant)).toHaveLength(0);
  });

  it("refuses a whole batch when one event in it conflicts", async () => {
    const tenant = await h.tenant();
    const receiver = await h.receiver();
    await h.api.createEndpoint(tenant, { url: receiver.url });
    await h.api.publish(tenant, { id: "fixed-1", type: "a.b", data: { v: 1 } });
    await receiver.waitFor(1);
    const res = await h.api.post(`/v1/tenants/${tenant}/events/batch`, {
      events: [
        { id: "fresh-1", type: "a.b", data: {} },
        { id: "fixed-1", type: "a.b", data: { v: 2 } },
      ],
    });
    expect(res.status).toBe(409);
    expect(res.body.code).toBe("EVENT_ID_CONFLICT");
    // All or nothing: the fresh event of the refused batch was not stored.
    const fresh = await h.api.get(`/v1/tenants/${tenant}/events/fresh-1`);
    expect(fresh.status).toBe(404);
    expect(fresh.body.code).toBe("EVENT_NOT_FOUND");
    expect(await h.api.deliveriesOf(tenant)).toHaveLength(1);
  });

  it("refuses a batch that names one event id twice, storing nothing of it", async () => {
    const tenant = await h.tenant();
    const receiver = await h.receiver();
    await h.api.createEndpoint(tenant, { url: receiver.url });
    const res = await h.api.post(`/v1/tenants/${tenant}/events/batch`, {
      events: [
        { id: "twice", type: "invoice.paid", data: { x: 1 } },
        { id: "other", type: "invoice.paid", data: {} },
        { id: "twice", type: "invoice.voided", data: { x: 2 } },
      ],
    });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ code: "VALIDATION_FAILED", details: [{ index: 2 }] });
    expect((await h.api.get(`/v1/tenants/${tenant}/events/twice`)).status).toBe(404);
    expect((await h.api.get(`/v1/tenants/${tenant}/events/other`)).status).toBe(404);
    expect(await h.api.deliveriesOf(tenant)).toHaveLength(0);
  });

  it("refuses one Idempotency-Key reused across the single and batch routes", async () => {
    const tenant = await h.tenant();
    const event = { id: "idem-shape", type: "a.b", data: { n: 1 } };
    const key = { "idempotency-key": `shape-${tenant}` };
    await h.api.publish(tenant, event, key);
    const batch = await h.api.post(`/v1/tenants/${tenant}/events/batch`, { events: [event] }, { headers: key });
    expect(batch.status).toBe(422);
    expect(batch.body.code).toBe("IDEMPOTENCY_KEY_MISMATCH");
  });
});
