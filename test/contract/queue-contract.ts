/**
 * The queue port's contract (store/ports/queue.ts), on both stores, through cycle() as the worker calls it: stream
 * order, ownership and its fence, takeover after a crash, outcomes with their jobs and dead letters, releases that
 * never strand work, pauses, disables, config changes, and a takeover whose cost follows due work only.
 */
import { beforeEach, expect, it } from "vitest";
import { initialEndpointState } from "../../src/domain/endpoint-state.ts";
import type { Store } from "../../src/store/store.ts";
import { endpoint, event, ingestRequest, T0, tenant } from "./fixtures.ts";
import { OWNERSHIP, QueueDriver } from "./queue-driver.ts";
import type { WorkItem } from "../../src/store/ports/queue.ts";

export function queueCases(getStore: () => Store): void {
  let store: Store;
  let epId: string;
  beforeEach(async () => {
    store = getStore();
    await store.insertTenant(tenant("acme"));
    const ep = endpoint("acme");
    epId = ep.id;
    await store.insertEndpoint(ep);
  });

  async function publish(n: number, at = T0, type = "invoice.paid"): Promise<string[]> {
    const events = Array.from({ length: n }, () => event({ createdAt: at, type }));
    await store.ingest(ingestRequest("acme", events));
    return events.map((e) => e.id);
  }

  it("hands an endpoint's fresh deliveries in stream order, numbered in ingest order, and nothing else", async () => {
    const a = await publish(3);
    const b = await publish(2);
    const w = new QueueDriver(store);
    const work = await w.take(T0 + 1);
    expect(work.map((x) => x.eventId)).toEqual([...a, ...b]);
    expect(work.map((x) => (x.source.kind === "stream" ? x.source.seq : -1))).toEqual([1, 2, 3, 4, 5]);
    expect(work[0]).toMatchObject({ tenantId: "acme", endpointId: epId, attempts: 0, hadFailure: false });
    expect(work[0]?.event).toMatchObject({ type: "invoice.paid", dataJson: '{"amount":42}', createdAt: T0 });
    expect(w.last?.taken.map((t) => t.config.endpointId)).toEqual([epId]);
    expect(await w.take(T0 + 2)).toEqual([]);
  });

  it("lets one worker own an endpoint at a time: concurrent takeovers never hand one delivery to two", async () => {
    await publish(40);
    const workers = Array.from({ length: 5 }, (_, i) => new QueueDriver(store, `worker-${i}`));
    const results = await Promise.all(workers.map((w) => w.take(T0 + 1)));
    const owners = results.filter((r) => r.length > 0);
    expect(owners).toHaveLength(1);
    expect(owners[0]).toHaveLength(40);
    // Until its ownership runs out, nobody else gets anything.
    expect((await Promise.all(workers.map((w) => w.take(T0 + OWNERSHIP - 1)))).flat().length).toBe(0);
  });

  it("gives a crashed worker's endpoint to another once its ownership ends, with everything it had not recorded", async () => {
    await publish(4);
    const crashed = new QueueDriver(store, "crashed");
    const work = await crashed.take(T0 + 1);
    // It recorded the first two (the third was in flight, the fourth waiting) and died.
    await crashed.record(work.slice(0, 2).map((x) => crashed.outcome(x, T0 + 2, { status: 200 })), T0 + 2);
    const next = new QueueDriver(store, "next");
    expect(await next.take(T0 + 3)).toEqual([]);
    const taken = await next.take(T0 + 1 + OWNERSHIP);
    expect(taken.map((x) => x.deliveryId)).toEqual(work.slice(2).map((x) => x.deliveryId));
    expect(taken.every((x) => x.attempts === 0)).toBe(true);
  });

  it("refuses the writes of a worker that lost its endpoint: the new owner's outcomes stand", async () => {
    await publish(1);
    const stale = new QueueDriver(store, "stale");
    const [d] = await stale.take(T0 + 1);
    if (!d) throw new Error("nothing taken");
    const fresh = new QueueDriver(store, "fresh");
    const [again] = await fresh.take(T0 + 1 + OWNERSHIP);
    if (!again) throw new Error("not taken over");
    await fresh.record([fresh.outcome(again, T0 + OWNERSHIP + 5, { status: 200 })], T0 + OWNERSHIP + 5);
    const late = await stale.record([stale.outcome(d, T0 + OWNERSHIP + 10, { status: 500, retryAt: T0 + 99_999 })], T0 + OWNERSHIP + 10);
    expect(late.lost).toEqual([epId]);
    expect(await store.getDelivery("acme", d.deliveryId)).toMatchObject({ status: "succeeded", attempts: 1 });
    expect(await store.listAttempts(d.deliveryId)).toHaveLength(1);
  });

  it("records an attempt with the next state; a failure waits as a job until its retry time", async () => {
    await publish(1);
    const w = new QueueDriver(store);
    const [d] = await w.take(T0);
    if (!d) throw new Error("nothing taken");
    await w.record([w.outcome(d, T0 + 20, { status: 500, retryAt: T0 + 5_000 })], T0 + 20, { release: true });
    expect(await store.getDelivery("acme", d.deliveryId)).toMatchObject({
      status: "failed",
      attempts: 1,
      nextAttemptAt: T0 + 5_000,
      lastStatusCode: 500,
      lastError: "HTTP 500",
      updatedAt: T0 + 20,
    });
    expect((await store.listAttempts(d.deliveryId)).map((a) => [a.attempt, a.statusCode])).toEqual([[1, 500]]);
    expect(await w.take(T0 + 4_999)).toEqual([]);
    const [retry] = await w.take(T0 + 5_000);
    expect(retry).toMatchObject({ deliveryId: d.deliveryId, attempts: 1, cycleAttempts: 1, hadFailure: true });
    expect(retry?.source).toEqual({ kind: "job", runAt: T0 + 5_000 });
    if (!retry) throw new Error("retry not taken");
    // A job already held is not handed out again by the next refill.
    expect(await w.take(T0 + 5_001)).toEqual([]);
    await w.record([w.outcome(retry, T0 + 5_100, { status: 200 })], T0 + 5_100, { release: true });
    expect(await store.getDelivery("acme", d.deliveryId)).toMatchObject({ status: "succeeded", attempts: 2, nextAttemptAt: null });
    expect((await store.listAttempts(d.deliveryId)).map((a) => a.attempt)).toEqual([1, 2]);
    expect(await w.take(T0 + 99_999)).toEqual([]);
  });

  it("writes a dead delivery to the dead-letter list, and an outcome without an attempt writes no attempt", async () => {
    await publish(2);
    const w = new QueueDriver(store);
    const [a, b] = await w.take(T0);
    if (!a || !b) throw new Error("nothing taken");
    await w.record(
      [w.outcome(a, T0 + 1, { status: 500, deliveryStatus: "dead" }), w.outcome(b, T0 + 1, { status: null, noAttempt: true, deliveryStatus: "dead" })],
      T0 + 1,
    );
    expect(await store.getDelivery("acme", a.deliveryId)).toMatchObject({ status: "dead", attempts: 1 });
    expect(await store.getDelivery("acme", b.deliveryId)).toMatchObject({ status: "dead", attempts: 0 });
    expect(await store.listAttempts(b.deliveryId)).toEqual([]);
    const dead = await store.listDeliveries("acme", { statuses: ["dead"] }, { limit: 10, after: null });
    expect(dead.data.map((d) => d.id).sort()).toEqual([a.deliveryId, b.deliveryId].sort());
  });

  it("keeps a FIFO key halted when one cycle records its success and then the halting death of the next", async () => {
    // The owner sends a line's deliveries one after the other; both outcomes can land in the same cycle, together
    // with the parking of what waits behind the dead one. The success must not let the parked delivery go.
    const fifo = endpoint("acme", { ordering: "fifo", fifoOnDead: "halt" });
    await store.insertEndpoint(fifo);
    const events = [0, 1, 2].map(() => event({ orderingKey: "order-7" }));
    await store.ingest(ingestRequest("acme", events));
    const w = new QueueDriver(store);
    const work = (await w.take(T0)).filter((x) => x.endpointId === fifo.id);
    expect(work.map((x) => [x.eventId, x.blocked])).toEqual(events.map((e) => [e.id, false]));
    const [first, second, third] = work as [WorkItem, WorkItem, WorkItem];
    const line = { fifoKey: "order-7" };
    await w.record(
      [
        w.outcome(first, T0 + 10, { status: 200 }, line),
        w.outcome(second, T0 + 20, { status: 400, deliveryStatus: "dead" }, { ...line, halt: true }),
      ],
      T0 + 20,
      { parks: [third] },
    );
    expect((await store.listHaltedKeys("acme", fifo.id)).map((k) => [k.orderingKey, k.deliveryId])).toEqual([["order-7", second.deliveryId]]);
    // Nothing of the endpoint is due, now or later: the third waits for the tenant.
    expect((await w.take(T0 + 30)).filter((x) => x.endpointId === fifo.id)).toEqual([]);
    await w.releaseAll(T0 + 40);
    expect((await w.take(T0 + 60_000)).filter((x) => x.endpointId === fifo.id)).toEqual([]);
    expect(await store.getDelivery("acme", third.deliveryId)).toMatchObject({ status: "pending", attempts: 0 });

    // Skipping the key lets the third go, as a job.
    expect(await store.releaseHaltedKey("acme", fifo.id, "order-7", "skip", T0 + 70_000)).toBe("released");
    const next = (await w.take(T0 + 70_001)).filter((x) => x.endpointId === fifo.id);
    expect(next.map((x) => [x.deliveryId, x.source.kind])).toEqual([[third.deliveryId, "job"]]);
  });

  it("never strands work: a release computes when the endpoint is due from what really waits", async () => {
    const w = new QueueDriver(store);
    await publish(1);
    await w.settleAll(T0, { status: 200 });
    await w.releaseAll(T0 + 2);
    expect(await w.take(T0 + 3)).toEqual([]);
    // New work after the release makes the endpoint due again at once.
    const [later] = await publish(1, T0 + 10);
    expect((await w.take(T0 + 11)).map((x) => x.eventId)).toEqual([later]);
  });

  it("does not take an endpoint back before a pause given at release ends", async () => {
    await publish(2);
    const w = new QueueDriver(store);
    const [first] = await w.take(T0, { limit: 1 });
    if (!first) throw new Error("nothing taken");
    await w.record([w.outcome(first, T0 + 1, { status: 200 })], T0 + 1);
    await w.releaseAll(T0 + 2, T0 + 60_000);
    expect(await w.take(T0 + 59_999)).toEqual([]);
    expect(await w.take(T0 + 60_000)).toHaveLength(1);
  });

  it("keeps a renewed ownership from being taken over", async () => {
    await publish(1);
    const w = new QueueDriver(store, "renewing");
    await w.take(T0);
    await w.cycle({
      worker: w.worker,
      now: T0 + 20_000,
      outcomes: [],
      acks: [],
      states: [],
      disables: [],
      renewals: [{ owner: w.ownerOf(epId), until: T0 + 50_000 }],
      releases: [],
      refills: [],
      takeover: null,
    });
    const other = new QueueDriver(store, "other");
    expect(await other.take(T0 + OWNERSHIP)).toEqual([]);
    expect(await other.take(T0 + 50_000)).toHaveLength(1);
  });

  it("disables an endpoint when asked (410 Gone), reports it once, and pauses its queue", async () => {
    await publish(2);
    const w = new QueueDriver(store);
    const [d] = await w.take(T0, { limit: 1 });
    if (!d) throw new Error("nothing taken");
    const disable = { owner: w.ownerOf(epId), tenantId: "acme", reason: "endpoint answered 410 Gone" };
    const input = {
      worker: w.worker,
      now: T0 + 1,
      outcomes: [w.outcome(d, T0 + 1, { status: 410, deliveryStatus: "dead" as const })],
      acks: [],
      states: [],
      disables: [disable],
      renewals: [],
      releases: [],
      refills: [],
      takeover: null,
    };
    expect((await w.cycle(input)).disabled).toEqual([epId]);
    expect(await store.getEndpoint("acme", epId)).toMatchObject({ disabled: true, disabledReason: "endpoint answered 410 Gone" });
    expect((await w.cycle({ ...input, outcomes: [], now: T0 + 2 })).disabled).toEqual([]);
    await w.releaseAll(T0 + 3);
    // Paused: the other delivery waits (not dead), nothing new is fanned out to it, and it is never due.
    const result = await store.ingest(ingestRequest("acme", [event()]));
    expect(result.kind === "created" && result.events[0]?.matchedEndpoints).toBe(0);
    expect(await w.take(T0 + 99_999)).toEqual([]);
    const waiting = await store.listDeliveries("acme", { statuses: ["pending"] }, { limit: 10, after: null });
    expect(waiting.data).toHaveLength(1);
    // Enabled again, it is due and its waiting delivery goes.
    await store.updateEndpoint("acme", epId, { disabled: false, disabledReason: null }, T0 + 100_000);
    expect((await w.take(T0 + 100_001)).map((x) => x.deliveryId)).toEqual(waiting.data.map((x) => x.id));
  });

  it("keeps the state an owner writes back for the health API and the next owner; a reset starts it over", async () => {
    await publish(1);
    const w = new QueueDriver(store);
    await w.take(T0);
    const state = { ...initialEndpointState(), breaker: "open" as const, openUntil: T0 + 30_000, inFlight: 3, concurrencyLimit: 9 };
    await w.cycle({
      worker: w.worker,
      now: T0 + 1,
      outcomes: [],
      acks: [],
      states: [{ owner: w.ownerOf(epId), state }],
      disables: [],
      renewals: [],
      releases: [],
      refills: [],
      takeover: null,
    });
    expect((await store.getEndpointHealth("acme", [epId], T0 + 2)).get(epId)).toEqual({ state, inFlight: 3 });
    // Another tenant cannot read it.
    expect((await store.getEndpointHealth("other", [epId], T0 + 2)).size).toBe(0);
    // The next owner starts from it.
    const next = new QueueDriver(store, "next");
    await next.take(T0 + OWNERSHIP);
    expect(next.last?.taken[0]?.state).toEqual(state);
    // A reset (enable) starts it over, and the owner is told through a new config version.
    const before = next.held.get(epId)!.config;
    expect(await store.resetEndpointState("acme", epId, T0 + OWNERSHIP + 5)).toBe(true);
    expect(await store.resetEndpointState("other", epId, T0 + OWNERSHIP + 5)).toBe(false);
    expect((await store.getEndpointHealth("acme", [epId], T0 + OWNERSHIP + 6)).get(epId)?.state).toEqual(initialEndpointState());
    await next.take(T0 + OWNERSHIP + 6);
    expect(next.last?.configs[0]?.stateResetAt).toBe(T0 + OWNERSHIP + 5);
    expect(next.last?.configs[0]?.version).not.toBe(before.version);
  });

  it("sends the owner an endpoint's new config when it changed, and only then", async () => {
    await publish(1);
    const w = new QueueDriver(store);
    await w.take(T0);
    expect(w.last?.configs).toEqual([]);
    await store.updateEndpoint("acme", epId, { url: "https://example.com/moved", timeoutMs: 2_000 }, T0 + 10);
    await w.take(T0 + 11);
    expect(w.last?.configs).toHaveLength(1);
    expect(w.last?.configs[0]).toMatchObject({ endpointId: epId, url: "https://example.com/moved", timeoutMs: 2_000 });
    await w.take(T0 + 12);
    expect(w.last?.configs).toEqual([]);
  });

  it("skips stream positions settled behind the owner's back (expunged) instead of handing them out", async () => {
    const [first, second] = await publish(2);
    await store.expungeEventPayload("acme", first!, T0 + 1);
    const w = new QueueDriver(store);
    const work = await w.take(T0 + 2);
    expect(work.map((x) => x.eventId)).toEqual([second]);
    expect(w.last?.skipped).toEqual([{ endpointId: epId, seq: 1 }]);
    await w.record(work.map((x) => w.outcome(x, T0 + 3, { status: 200 })), T0 + 3, { release: true });
    expect(await w.take(T0 + 4)).toEqual([]);
  });

  it("reaches a due delivery to a healthy endpoint in the first takeover, next to 10,000 endpoints with nothing due", async () => {
    // 10,000 endpoints whose only delivery failed and waits for a retry an hour out.
    const tenants = 20;
    const per = 500;
    for (let t = 0; t < tenants; t++) await store.insertTenant(tenant(`fleet-${t}`));
    for (let t = 0; t < tenants; t++) {
      const eps = Array.from({ length: per }, () => endpoint(`fleet-${t}`, { eventTypes: ["fleet.*"] }));
      for (let i = 0; i < eps.length; i += 50) await Promise.all(eps.slice(i, i + 50).map((ep) => store.insertEndpoint(ep)));
      await store.ingest(ingestRequest(`fleet-${t}`, [event({ type: "fleet.one" })]));
    }
    const w = new QueueDriver(store, "fleet-worker");
    let failing = 0;
    for (;;) {
      const work = await w.take(T0, { count: 1000, limit: 10 });
      const fleetWork = work.filter((x) => x.event.type === "fleet.one");
      if (fleetWork.length === 0) break;
      failing += fleetWork.length;
      await w.record(fleetWork.map((x) => w.outcome(x, T0 + 1, { status: 503, retryAt: T0 + 3_600_000 })), T0 + 1, { release: true });
    }
    expect(failing).toBe(tenants * per);
    // The healthy endpoint gets one event; a single takeover of one endpoint finds it.
    const [healthy] = await publish(1, T0 + 10);
    const other = new QueueDriver(store, "fresh-worker");
    const work = await other.take(T0 + 11, { count: 1 });
    expect(work.map((x) => x.eventId)).toEqual([healthy]);
  }, 180_000);
}
