/**
 * End to end, on both stores: replaying one dead delivery, the states in which a replay is refused, and bulk replay
 * of an endpoint's dead letters.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { App } from "../../src/app.ts";
import { answer, Receiver } from "../support/receiver.ts";
import { createTestDatabase, STORE_KINDS, type TestDatabase } from "../support/stores.ts";
import { Api, eventually, parked, startHookd, useHookd } from "./harness.ts";

describe.each(STORE_KINDS)("replay (%s)", (kind) => {
  const h = useHookd(kind);

  it("replays a dead delivery: the attempt count continues and the fixed receiver gets it", async () => {
    const tenant = await h.tenant();
    const receiver = await h.receiver(answer(503));
    await h.api.createEndpoint(tenant, { url: receiver.url });
    const event = await h.api.publish(tenant, { type: "a.b", data: { replay: true } });
    const delivery = await h.api.onlyDeliveryOf(tenant, event.id);
    const dead = await h.api.waitForDelivery(tenant, delivery.id, (d) => d.status === "dead");
    expect(dead.attempts).toHaveLength(3);

    receiver.handler = answer(200);
    const replayed = await h.api.post(`/v1/tenants/${tenant}/deliveries/${delivery.id}/replay`);
    expect(replayed.status).toBe(202);
    expect(replayed.body).toMatchObject({ id: delivery.id, status: "pending", attempts: 3 });

    const done = await h.api.waitForDelivery(tenant, delivery.id, (d) => d.status === "succeeded");
    expect(done.attempts.map((a: { attempt: number }) => a.attempt)).toEqual([1, 2, 3, 4]);
    expect(done.attempts.map((a: { outcome: string }) => a.outcome)).toEqual(["retry", "retry", "retry", "success"]);
    expect(done.attempts[3]).toMatchObject({ status_code: 200 });
    expect(receiver.received).toHaveLength(4);
    expect(receiver.received[3]!.headers["webhook-attempt"]).toBe("4");
    expect(receiver.received[3]!.headers["webhook-id"]).toBe(event.id);
    expect(receiver.received[3]!.body).toBe(receiver.received[0]!.body);
  });

  it("replays a dead delivery to a receiver that still fails with a fresh retry cycle", async () => {
    const tenant = await h.tenant();
    const receiver = await h.receiver(answer(400));
    await h.api.createEndpoint(tenant, { url: receiver.url });
    const event = await h.api.publish(tenant, { type: "a.b", data: {} });
    const delivery = await h.api.onlyDeliveryOf(tenant, event.id);
    await h.api.waitForDelivery(tenant, delivery.id, (d) => d.status === "dead");

    // Now 503s: the replay gets the schedule's three attempts again (a new cycle), numbered 2, 3, 4.
    receiver.handler = answer(503);
    expect((await h.api.post(`/v1/tenants/${tenant}/deliveries/${delivery.id}/replay`)).status).toBe(202);
    const done = await h.api.waitForDelivery(tenant, delivery.id, (d) => d.status === "dead" && d.attempts.length > 1);
    expect(done.attempts.map((a: { attempt: number }) => a.attempt)).toEqual([1, 2, 3, 4]);
    expect(receiver.received.map((r) => r.headers["webhook-attempt"])).toEqual(["1", "2", "3", "4"]);
  });

  it("bulk-replays every dead delivery of an endpoint", async () => {
    const tenant = await h.tenant();
    const receiver = await h.receiver(answer(422));
    const ep = await h.api.createEndpoint(tenant, { url: receiver.url });
    const other = await h.receiver(answer(200));
    const otherEp = await h.api.createEndpoint(tenant, { url: other.url, event_types: ["other.*"] });
    const n = 5;
    const ids: string[] = [];
    for (let i = 0; i < n; i++) ids.push((await h.api.publish(tenant, { type: "bulk.item", data: { i } })).id);
    await eventually(async () => {
      const dead = await h.api.deliveriesOf(tenant, { endpoint_id: ep.id, status: "dead" });
      expect(dead).toHaveLength(n);
    });
    expect(receiver.received).toHaveLength(n);

    receiver.handler = answer(204);
    const res = await h.api.post(`/v1/tenants/${tenant}/endpoints/${ep.id}/replay`, { status: "dead" });
    expect(res.status).toBe(202);
    expect(res.body).toEqual({ count: n });

    await eventually(async () => {
      const list = await h.api.deliveriesOf(tenant, { endpoint_id: ep.id });
      expect(list).toHaveLength(n);
      expect(list.every((d) => d.status === "succeeded" && d.attempts === 2)).toBe(true);
    });
    expect(receiver.received).toHaveLength(2 * n);
    const redelivered = receiver.received.slice(n);
    expect(redelivered.map((r) => r.headers["webhook-id"]).sort()).toEqual([...ids].sort());
    expect(redelivered.every((r) => r.headers["webhook-attempt"] === "2")).toBe(true);

    // Nothing dead is left, so a second bulk replay finds nothing; other endpoints are untouched.
    expect((await h.api.post(`/v1/tenants/${tenant}/endpoints/${ep.id}/replay`, { status: "dead" })).body).toEqual({
      count: 0,
    });
    expect((await h.api.post(`/v1/tenants/${tenant}/endpoints/${otherEp.id}/replay`, {})).body).toEqual({ count: 0 });
    expect(other.received).toHaveLength(0);
  });

  it("refuses to replay an unknown delivery or through an unknown endpoint", async () => {
    const tenant = await h.tenant();
    const missing = await h.api.post(`/v1/tenants/${tenant}/deliveries/dlv_nope/replay`);
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ code: "DELIVERY_NOT_FOUND" });
    const noEndpoint = await h.api.post(`/v1/tenants/${tenant}/endpoints/ep_nope/replay`, { status: "dead" });
    expect(noEndpoint.status).toBe(404);
    expect(noEndpoint.body).toMatchObject({ code: "ENDPOINT_NOT_FOUND" });
  });
});

/**
 * A hookd with a single delivery slot: while one delivery hangs in flight, a second one stays pending and unclaimed,
 * so both refusal states can be set up deterministically.
 */
describe.each(STORE_KINDS)("replay refusals with one delivery slot (%s)", (kind) => {
  let db: TestDatabase;
  let app: App;
  let api: Api;
  const receivers: Receiver[] = [];

  beforeAll(async () => {
    db = await createTestDatabase(kind);
    app = await startHookd(db.url, { workerConcurrency: 1, shutdownGraceMs: 100 });
    api = new Api(app.url!);
  });
  afterAll(async () => {
    await app?.close();
    for (const r of receivers) await r.close();
    await db?.destroy();
  });

  async function receiver(handler: Receiver["handler"]): Promise<Receiver> {
    const r = await new Receiver().start();
    r.handler = handler;
    receivers.push(r);
    return r;
  }

  it("answers DELIVERY_ALREADY_PENDING for a delivery being attempted or queued, and changes nothing", async () => {
    const slow = parked(200);
    const receiverA = await receiver(slow.handler);
    const tenant = await api.createTenant({ name: "one-slot" });
    await api.createEndpoint(tenant.id, { url: receiverA.url, timeout_ms: 30_000, max_in_flight: 1 });

    const first = await api.publish(tenant.id, { type: "a.b", data: { n: 1 } });
    await receiverA.waitFor(1);
    const inFlight = await api.onlyDeliveryOf(tenant.id, first.id);
    const second = await api.publish(tenant.id, { type: "a.b", data: { n: 2 } });
    const queued = await api.onlyDeliveryOf(tenant.id, second.id);
    expect(queued).toMatchObject({ status: "pending", attempts: 0 });

    for (const d of [inFlight, queued]) {
      const r = await api.post(`/v1/tenants/${tenant.id}/deliveries/${d.id}/replay`);
      expect(r.status).toBe(409);
      expect(r.body).toMatchObject({ code: "DELIVERY_ALREADY_PENDING", message: expect.any(String) });
    }

    // Neither refusal changed anything: the in-flight one has no attempt yet, the queued one was never sent.
    expect(await api.getDelivery(tenant.id, inFlight.id)).toMatchObject({ attempts: [] });
    expect(await api.getDelivery(tenant.id, queued.id)).toMatchObject({ status: "pending", attempts: [] });
    expect(receiverA.received).toHaveLength(1);

    // Once the slot frees up, both are delivered exactly once.
    slow.release();
    await api.waitForDelivery(tenant.id, inFlight.id, (d) => d.status === "succeeded");
    const queuedDone = await api.waitForDelivery(tenant.id, queued.id, (d) => d.status === "succeeded");
    expect(queuedDone.attempts).toHaveLength(1);
    expect(receiverA.received.map((r) => r.headers["webhook-attempt"])).toEqual(["1", "1"]);
  });

  it("a queued delivery whose endpoint is disabled meanwhile waits unsent, and is delivered once re-enabled", async () => {
    const slow = parked(200);
    const slowReceiver = await receiver(slow.handler);
    const target = await receiver((_req, res) => {
      res.writeHead(204);
      res.end();
    });
    const tenant = (await api.createTenant({ name: "disable-queued" })).id as string;
    await api.createEndpoint(tenant, { url: slowReceiver.url, event_types: ["slow.*"] });
    const ep = await api.createEndpoint(tenant, { url: target.url, event_types: ["fast.*"], max_in_flight: 1 });
    // The endpoint's one slot is busy with a parked request, so the next delivery queues behind it.
    const busy = parked(200);
    target.handler = busy.handler;
    const zero = await api.publish(tenant, { type: "fast.zero", data: {} });
    await target.waitFor(1);
    const fast = await api.publish(tenant, { type: "fast.one", data: { v: 1 } });
    expect(fast.matched_endpoints).toBe(1);
    const queued = await api.onlyDeliveryOf(tenant, fast.id);
    const more = [];
    for (let n = 2; n <= 4; n++) more.push(await api.onlyDeliveryOf(tenant, (await api.publish(tenant, { type: "fast.more", data: { n } })).id));
    // Several poll intervals (50 ms here): the owner has certainly fetched the queued deliveries into its memory by
    // now, so what follows tests that a disable stops work already fetched, not work still in the database.
    await new Promise((r) => setTimeout(r, 300));
    expect((await api.patch(`/v1/tenants/${tenant}/endpoints/${ep.id}`, { disabled: true })).status).toBe(200);

    // Disabling pauses: the request in flight finishes, the queued deliveries wait, unsent, and nothing dies.
    // (Had the endpoint gone on, the queued delivery would leave the moment the slot freed, before this is recorded.)
    busy.release();
    const zeroDelivery = await api.onlyDeliveryOf(tenant, zero.id);
    await api.waitForDelivery(tenant, zeroDelivery.id, (d) => d.status === "succeeded");
    // Some time for a wrongly sent request to arrive, had the owner gone on with what it had fetched.
    await new Promise((r) => setTimeout(r, 200));
    expect(target.received).toHaveLength(1);
    for (const d of [queued, ...more]) expect(await api.getDelivery(tenant, d.id)).toMatchObject({ status: "pending", attempts: [] });
    expect((await api.get(`/v1/tenants/${tenant}/deliveries?status=dead`)).body.data).toHaveLength(0);

    target.handler = (_req, res) => {
      res.writeHead(204);
      res.end();
    };
    expect((await api.patch(`/v1/tenants/${tenant}/endpoints/${ep.id}`, { disabled: false })).body).toMatchObject({
      disabled: false,
      disabled_reason: null,
    });
    const done = await api.waitForDelivery(tenant, queued.id, (d) => d.status === "succeeded");
    expect(done.attempts).toHaveLength(1);
    expect(target.received[1]!.headers["webhook-attempt"]).toBe("1");
    expect(target.received[1]!.headers["webhook-id"]).toBe(fast.id);
    for (const d of more) await api.waitForDelivery(tenant, d.id, (x) => x.status === "succeeded");
    expect(target.received).toHaveLength(5);
    slow.release();
  });
});
