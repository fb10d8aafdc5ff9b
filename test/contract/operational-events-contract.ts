/**
 * Contract cases for operational events, run by store-contract.ts on both adapters: which state changes record
 * which events (in the same transaction), listing with filters and pages, and forwarding to the operator tenant.
 */
import { beforeEach, expect, it } from "vitest";
import { initialEndpointState } from "../../src/domain/endpoint-state.ts";
import { newOperationalEvent, OPERATOR_TENANT_ID } from "../../src/domain/operational-events.ts";
import type { Store } from "../../src/store/store.ts";
import { attemptRecord, claimDue, endpoint, event, ingestRequest, type Recorded, recordAttempts, T0, type Taken, tenant } from "./fixtures.ts";
import { OWNERSHIP } from "./queue-driver.ts";

function record(d: Taken, now: number, outcome: "success" | "retry" | "dead" | "gone"): Recorded {
  const ok = outcome === "success";
  return attemptRecord(
    d,
    now,
    {
      status: ok ? 200 : outcome === "gone" ? 410 : 500,
      outcome: ok ? "success" : outcome === "retry" ? "retry" : "permanent",
      deliveryStatus: ok ? "succeeded" : outcome === "retry" ? "failed" : "dead",
    },
    {},
    outcome === "gone" ? "410 Gone" : undefined,
  );
}

export function operationalEventCases(getStore: () => Store): void {
  let store: Store;
  let epId: string;

  beforeEach(async () => {
    store = getStore();
    await store.insertTenant(tenant("acme"));
    const ep = endpoint("acme");
    await store.insertEndpoint(ep);
    epId = ep.id;
  });

  const claim = (now: number, token = "tok") => claimDue(store, now, token);
  const all = async () => (await store.listOperationalEvents({}, { limit: 250, after: null })).data;

  it("records delivery.dead when an attempt kills a delivery, with the delivery's ids", async () => {
    await store.ingest(ingestRequest("acme", [event({ id: "e1" })]));
    const [d] = await claim(T0);
    await recordAttempts([record(d!, T0 + 10, "dead")]);
    const events = await all();
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      type: "delivery.dead",
      tenantId: "acme",
      endpointId: epId,
      deliveryId: d!.id,
      eventId: "e1",
      createdAt: T0 + 10,
      data: { attempts: 1, last_status_code: 500, last_error: "HTTP 500" },
    });
    expect(events[0]!.id).toMatch(/^oev_/);
  });

  it("records delivery.recovered only for a success after a failed attempt", async () => {
    await store.ingest(ingestRequest("acme", [event(), event()]));
    const [a, b] = await claim(T0);
    // a fails once, then succeeds; b succeeds at once.
    await recordAttempts([record(a!, T0 + 1, "retry"), record(b!, T0 + 1, "success")]);
    const [again] = await claim(T0 + 2);
    expect(again!.id).toBe(a!.id);
    await recordAttempts([record(again!, T0 + 3, "success")]);
    const events = await all();
    expect(events.map((e) => [e.type, e.deliveryId, e.data])).toEqual([["delivery.recovered", a!.id, { attempts: 2 }]]);
  });

  it("records nothing for the outcome of a worker that lost the endpoint", async () => {
    await store.ingest(ingestRequest("acme", [event()]));
    const [d] = await claim(T0);
    // Another worker took the endpoint over after the first one's ownership ran out.
    expect(await claim(T0 + OWNERSHIP, "tok-2")).toHaveLength(1);
    expect(await recordAttempts([record(d!, T0 + OWNERSHIP + 1, "gone")])).toContain(epId);
    expect(await all()).toEqual([]);
    expect((await store.getEndpoint("acme", epId))?.disabled).toBe(false);
  });

  it("records endpoint.disabled once when a 410 disables it, with delivery.dead for that delivery", async () => {
    await store.ingest(ingestRequest("acme", [event(), event()]));
    const [a, b] = await claim(T0);
    await recordAttempts([record(a!, T0 + 1, "gone"), record(b!, T0 + 1, "gone")]);
    const events = await all();
    const disabled = events.filter((e) => e.type === "endpoint.disabled");
    expect(disabled).toHaveLength(1);
    expect(disabled[0]).toMatchObject({ tenantId: "acme", endpointId: epId, data: { reason: "410 Gone" } });
    expect(events.filter((e) => e.type === "delivery.dead")).toHaveLength(2);
  });

  it("records endpoint.disabled and endpoint.enabled when an update flips the endpoint, nothing otherwise", async () => {
    await store.updateEndpoint("acme", epId, { description: "x" }, T0 + 1);
    await store.updateEndpoint("acme", epId, { disabled: true, disabledReason: "maintenance" }, T0 + 2);
    await store.updateEndpoint("acme", epId, { disabled: true, disabledReason: "still" }, T0 + 3);
    await store.updateEndpoint("acme", epId, { disabled: false, disabledReason: null }, T0 + 4);
    const events = await all();
    expect(events.map((e) => [e.type, e.createdAt, e.data])).toEqual([
      ["endpoint.enabled", T0 + 4, {}],
      ["endpoint.disabled", T0 + 2, { reason: "maintenance" }],
    ]);
  });

  it("lists newest first, filtered by type and tenant, in keyset pages", async () => {
    await store.insertTenant(tenant("other"));
    const made = [];
    for (let i = 0; i < 5; i++) {
      const e = newOperationalEvent(i % 2 ? "custom.thing" : "endpoint.enabled", { tenantId: i < 3 ? "acme" : "other" }, { i }, T0 + i);
      await store.recordOperationalEvent(e);
      made.push(e);
    }
    const first = await store.listOperationalEvents({}, { limit: 2, after: null });
    expect(first.data.map((e) => e.data.i)).toEqual([4, 3]);
    const second = await store.listOperationalEvents({}, { limit: 2, after: first.nextCursor });
    expect(second.data.map((e) => e.data.i)).toEqual([2, 1]);
    const third = await store.listOperationalEvents({}, { limit: 2, after: second.nextCursor });
    expect(third).toEqual({ data: [made[0]], nextCursor: null });
    const acme = await store.listOperationalEvents({ tenantId: "acme" }, { limit: 10, after: null });
    expect(acme.data.map((e) => e.data.i)).toEqual([2, 1, 0]);
    const typed = await store.listOperationalEvents({ types: ["custom.thing"] }, { limit: 10, after: null });
    expect(typed.data.map((e) => e.data.i)).toEqual([3, 1]);
    const both = await store.listOperationalEvents(
      { types: ["endpoint.enabled", "nope"], tenantId: "other" },
      { limit: 10, after: null },
    );
    expect(both.data.map((e) => e.data.i)).toEqual([4]);
  });

  it("forwards operational events to the operator tenant's endpoint in the same transaction", async () => {
    await store.insertTenant(tenant(OPERATOR_TENANT_ID));
    const sink = endpoint(OPERATOR_TENANT_ID, { url: "https://ops.example.com/hook" });
    await store.insertEndpoint(sink);

    await store.ingest(ingestRequest("acme", [event({ id: "e1" })]));
    const [d] = await claim(T0);
    await recordAttempts([record(d!, T0 + 5, "dead")]);
    const [dead] = await all();
    expect(dead?.type).toBe("delivery.dead");

    const forwarded = await store.getEvent(OPERATOR_TENANT_ID, dead!.id);
    expect(forwarded).toMatchObject({ id: dead!.id, type: "delivery.dead", createdAt: T0 + 5 });
    expect(JSON.parse(forwarded!.dataJson)).toEqual({
      id: dead!.id,
      type: "delivery.dead",
      tenant_id: "acme",
      endpoint_id: epId,
      delivery_id: d!.id,
      event_id: "e1",
      data: { attempts: 1, last_status_code: 500, last_error: "HTTP 500" },
      created_at: new Date(T0 + 5).toISOString(),
    });
    const toSink = await store.listDeliveries(OPERATOR_TENANT_ID, {}, { limit: 10, after: null });
    expect(toSink.data).toHaveLength(1);
    expect(toSink.data[0]).toMatchObject({ endpointId: sink.id, eventId: dead!.id, status: "pending" });
    // ...and that delivery is due at once.
    const due = await claim(T0 + 6, "tok-2");
    expect(due.map((x) => x.eventId)).toEqual([dead!.id]);

    // The operator tenant's own deaths are recorded but not forwarded (no feedback loop).
    await recordAttempts([record(due[0]!, T0 + 7, "dead")]);
    const own = (await all()).find((e) => e.tenantId === OPERATOR_TENANT_ID);
    expect(own?.type).toBe("delivery.dead");
    expect(await store.getEvent(OPERATOR_TENANT_ID, own!.id)).toBeNull();

    // A disabled operator endpoint forwards nothing.
    await store.updateEndpoint(OPERATOR_TENANT_ID, sink.id, { disabled: true }, T0 + 8);
    const later = newOperationalEvent("endpoint.enabled", { tenantId: "acme" }, {}, T0 + 9);
    await store.recordOperationalEvent(later);
    expect(await store.getEvent(OPERATOR_TENANT_ID, later.id)).toBeNull();
  });

  it("wakes the workers when a forwarded operational event created a delivery", async () => {
    await store.insertTenant(tenant(OPERATOR_TENANT_ID));
    await store.insertEndpoint(endpoint(OPERATOR_TENANT_ID));
    let woken = 0;
    const off = store.subscribeWork(() => woken++);
    try {
      // The Postgres listener connects asynchronously and wakes once when it does; wait for that first.
      await waitUntil(() => store.kind === "sqlite" || woken > 0);
      const before = woken;
      await store.recordOperationalEvent(newOperationalEvent("endpoint.enabled", { tenantId: "acme" }, {}, T0));
      await waitUntil(() => woken > before);
    } finally {
      off();
    }
  });
}

/** Queue gauges for /metrics, on a controlled clock. */
export function queueStatsCases(getStore: () => Store): void {
  let store: Store;
  beforeEach(async () => {
    store = getStore();
    await store.insertTenant(tenant("acme"));
    await store.insertEndpoint(endpoint("acme"));
  });

  it("counts due, scheduled, in-flight and dead deliveries, the oldest due time and recent attempts", async () => {
    expect(await store.queueStats(T0)).toEqual({
      due: 0,
      scheduled: 0,
      inFlight: 0,
      oldestDueAt: null,
      dead: 0,
      attemptsLastMinute: 0,
    });
    await store.ingest(ingestRequest("acme", [event({ createdAt: T0 }), event({ createdAt: T0 + 10 })]));
    await store.ingest(ingestRequest("acme", [event({ createdAt: T0 + 20 }), event({ createdAt: T0 + 5_000 })]));
    // Four fresh deliveries wait for their endpoint, due since the first arrived.
    expect(await store.queueStats(T0 + 1_000)).toMatchObject({ due: 4, scheduled: 0, inFlight: 0, oldestDueAt: T0 });

    // A worker owns the endpoint and has two of them in flight (its state says so).
    const claimed = await claimDue(store, T0 + 1_000, "tok", 2);
    expect(claimed).toHaveLength(2);
    const driver = claimed[0]!.driver;
    await driver.cycle({
      worker: driver.worker,
      now: T0 + 1_000,
      outcomes: [],
      acks: [],
      states: [{ owner: driver.ownerOf(claimed[0]!.endpointId), state: { ...initialEndpointState(), inFlight: 2 } }],
      disables: [],
      renewals: [],
      releases: [],
      refills: [],
      takeover: null,
    });
    expect(await store.queueStats(T0 + 1_000)).toMatchObject({ due: 2, scheduled: 0, inFlight: 2, oldestDueAt: null });

    const [a, b] = claimed;
    await recordAttempts([record(a!, T0 + 1_100, "dead"), record(b!, T0 + 1_100, "retry")]);
    const stats = await store.queueStats(T0 + 1_200);
    expect(stats).toMatchObject({ dead: 1, inFlight: 0, attemptsLastMinute: 2 });
    // Given back: the two never sent and the retried one (due at once in the fixture) wait, the oldest since then.
    expect(stats.due).toBe(3);
    expect(stats.oldestDueAt).toBe(T0 + 1_100);
    // Counted per minute: once the next full minute is over, they no longer count as recent.
    expect((await store.queueStats(T0 + 1_100 + 2 * 60_000)).attemptsLastMinute).toBe(0);
  });
}

async function waitUntil(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 10));
  }
}
