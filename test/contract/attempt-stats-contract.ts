/**
 * Contract cases for delivery stats, run by store-contract.ts on both adapters: the per-minute aggregates that
 * recordAttempts keeps (exact counts per outcome class and latency bucket, only for attempts whose lease held, minute
 * boundaries, accumulation across batches, on the plain and the isolation record path), the live backlog, endpoints
 * per breaker state, and removal with the endpoint, the tenant and by retention.
 */
import { beforeEach, expect, it } from "vitest";
import {
  emptyTotals,
  LATENCY_BOUNDS_MS,
  latencyBucketOf,
  latencyPercentile,
  type OutcomeClass,
} from "../../src/domain/attempt-stats.ts";
import { type EndpointState, initialEndpointState } from "../../src/domain/endpoint-state.ts";
import type { Attempt, Endpoint } from "../../src/domain/types.ts";
import type { Store } from "../../src/store/store.ts";
import { attemptRecord, claimDue, endpoint, event, ingestRequest, type Recorded, recordAttempts, T0, type Taken, tenant } from "./fixtures.ts";
import { OWNERSHIP } from "./queue-driver.ts";
import { deleteEndpointNow, deleteTenantNow } from "../support/deletions.ts";

const MINUTE = 60_000;

/** What one attempt looked like, in the terms classify() produces. */
interface Shape {
  ms: number;
  status?: number;
  errorClass?: Attempt["errorClass"];
  /** When the attempt started; the claim time unless given. */
  at?: number;
}

const ok = (ms: number, at?: number): Shape => ({ ms, status: 200, ...(at === undefined ? {} : { at }) });

function record(d: Taken, now: number, s: Shape): Recorded {
  const status = s.status ?? null;
  const success = status !== null && status >= 200 && status < 300;
  return attemptRecord(
    d,
    now,
    {
      status,
      durationMs: s.ms,
      startedAt: s.at ?? now,
      ...(s.errorClass ? { errorClass: s.errorClass } : {}),
      outcome: success ? "success" : status !== null && status < 500 ? "permanent" : "retry",
    },
    success ? {} : { status: "failed", nextAttemptAt: now + 3_600_000 },
  );
}

/** The totals a list of attempts should add up to, computed independently of the store. */
function expected(classes: Partial<Record<OutcomeClass, number>>, durations: number[]) {
  const t = emptyTotals();
  t.attempts = durations.length;
  Object.assign(t.byClass, classes);
  for (const ms of durations) t.latencyBuckets[latencyBucketOf(ms)]! += 1;
  return t;
}

/** Nearest-rank percentile of the raw samples. */
function truePercentile(samples: number[], q: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)]!;
}

/** The bounds of the bucket a duration falls in: (lower, upper]. */
function bucketBounds(ms: number): [number, number] {
  const i = latencyBucketOf(ms);
  return [i === 0 ? 0 : LATENCY_BOUNDS_MS[i - 1]!, LATENCY_BOUNDS_MS[i] ?? LATENCY_BOUNDS_MS.at(-1)!];
}

/** Writes an endpoint's isolation state the way its owner does, as part of a cycle. */
async function writeState(d: Taken, state: EndpointState, now: number): Promise<void> {
  await d.driver.cycle({
    worker: d.driver.worker,
    now,
    outcomes: [],
    acks: [],
    states: [{ owner: d.driver.ownerOf(d.endpointId), state }],
    disables: [],
    renewals: [],
    releases: [],
    refills: [],
    takeover: null,
  });
}

export function attemptStatsCases(getStore: () => Store): void {
  let store: Store;
  let a: Endpoint;
  let b: Endpoint;
  beforeEach(async () => {
    store = getStore();
    await store.insertTenant(tenant("acme"));
    a = endpoint("acme", { eventTypes: ["a.*"] });
    b = endpoint("acme", { eventTypes: ["b.*"] });
    await store.insertEndpoint(a);
    await store.insertEndpoint(b);
  });

  let claims = 0;
  /** Publishes `n` events of `type` and claims every due delivery. */
  async function deliveries(type: string, n: number, now = T0): Promise<Taken[]> {
    await store.ingest(ingestRequest("acme", Array.from({ length: n }, () => event({ type, createdAt: now }))));
    return claimDue(store, now, `tok-${++claims}`);
  }

  it("counts each landed attempt under its outcome class and latency bucket, per endpoint and per tenant", async () => {
    const shapes: Shape[] = [
      ok(12),
      ok(12),
      ok(40),
      ok(41),
      { ms: 250, status: 500 },
      { ms: 260, status: 503 },
      { ms: 8, status: 404 },
      { ms: 15_000, errorClass: "timeout" },
      { ms: 2, errorClass: "connect" },
      { ms: 90_000, errorClass: "response" },
    ];
    const ds = await deliveries("a.x", shapes.length);
    await recordAttempts(ds.map((d, i) => record(d, T0 + 1, shapes[i]!)));
    const [bd] = await deliveries("b.x", 1);
    await recordAttempts([record(bd!, T0 + 2, ok(5))]);

    const durations = shapes.map((s) => s.ms);
    const aTotals = expected(
      { success: 4, http_5xx: 2, http_4xx: 1, timeout: 1, connect: 1, response: 1 },
      durations,
    );
    expect(await store.attemptStats("acme", a.id, T0, T0 + MINUTE)).toEqual(aTotals);
    expect(await store.attemptStats("acme", b.id, T0, T0 + MINUTE)).toEqual(expected({ success: 1 }, [5]));
    expect(await store.attemptStats("acme", null, T0, T0 + MINUTE)).toEqual(
      expected({ success: 5, http_5xx: 2, http_4xx: 1, timeout: 1, connect: 1, response: 1 }, [...durations, 5]),
    );
    // Another tenant, or this endpoint under another tenant's id, sees nothing.
    await store.insertTenant(tenant("other"));
    expect(await store.attemptStats("other", null, T0, T0 + MINUTE)).toEqual(emptyTotals());
    expect(await store.attemptStats("other", a.id, T0, T0 + MINUTE)).toEqual(emptyTotals());

    // Percentiles read back from the buckets land in the bucket of the true value (over 60 s reads as 60 s).
    for (const q of [0.5, 0.95, 0.99]) {
      const truth = truePercentile(durations, q);
      const [lower, upper] = bucketBounds(truth);
      const estimate = latencyPercentile(aTotals.latencyBuckets, q)!;
      if (truth > LATENCY_BOUNDS_MS.at(-1)!) expect(estimate).toBe(LATENCY_BOUNDS_MS.at(-1));
      else {
        expect(estimate).toBeGreaterThan(lower);
        expect(estimate).toBeLessThanOrEqual(upper);
      }
    }
  });

  it("counts nothing for the outcome of a worker that lost the endpoint, or one without an HTTP attempt", async () => {
    const [d] = await deliveries("a.x", 1);
    // Its ownership ran out and another worker took the endpoint: the first worker's late outcome is refused.
    const retaken = await claimDue(store, T0 + OWNERSHIP + 10_000, "tok-new");
    expect(retaken.map((x) => x.id)).toEqual([d!.id]);
    await recordAttempts([record(d!, T0 + 41_000, ok(10))]);
    expect((await store.attemptStats("acme", a.id, T0, T0 + MINUTE)).attempts).toBe(0);
    // The new owner's record counts, once.
    await recordAttempts([record(retaken[0]!, T0 + 42_000, { ms: 30, status: 500 })]);
    expect(await store.attemptStats("acme", a.id, T0, T0 + MINUTE)).toEqual(expected({ http_5xx: 1 }, [30]));

    // A delivery settled without an attempt counts no attempt.
    const [e] = await deliveries("a.y", 1, T0 + 50_000);
    const settled = record(e!, T0 + 50_001, ok(1));
    await recordAttempts([{ ...settled, outcome: { ...settled.outcome, attempt: null, status: "dead" } }]);
    expect((await store.attemptStats("acme", a.id, T0, T0 + MINUTE)).attempts).toBe(1);
  });

  it("keys each attempt by the minute it started: [from, to) windows, batches accumulate", async () => {
    const ds = await deliveries("a.x", 5);
    // One batch across three minutes; the row of a minute is found only by a window that holds its start.
    await recordAttempts([
      record(ds[0]!, T0 + 3 * MINUTE, ok(10, T0)),
      record(ds[1]!, T0 + 3 * MINUTE, ok(10, T0 + MINUTE - 1)),
      record(ds[2]!, T0 + 3 * MINUTE, ok(20, T0 + MINUTE)),
      record(ds[3]!, T0 + 3 * MINUTE, { ms: 20, status: 500, at: T0 + 2 * MINUTE + 59_999 }),
    ]);
    // A second batch adds to an existing minute's row.
    await recordAttempts([record(ds[4]!, T0 + 3 * MINUTE, { ms: 300, status: 502, at: T0 + MINUTE + 1 })]);

    const stats = (from: number, to: number) => store.attemptStats("acme", a.id, from, to);
    expect(await stats(T0, T0 + MINUTE)).toEqual(expected({ success: 2 }, [10, 10]));
    expect(await stats(T0 + MINUTE, T0 + 2 * MINUTE)).toEqual(expected({ success: 1, http_5xx: 1 }, [20, 300]));
    expect(await stats(T0 + 2 * MINUTE, T0 + 3 * MINUTE)).toEqual(expected({ http_5xx: 1 }, [20]));
    expect(await stats(T0 - MINUTE, T0)).toEqual(emptyTotals());
    expect(await stats(T0 + 3 * MINUTE, T0 + 4 * MINUTE)).toEqual(emptyTotals());
    expect(await stats(T0, T0 + 3 * MINUTE)).toEqual(expected({ success: 3, http_5xx: 2 }, [10, 10, 20, 300, 20]));
    expect((await store.attemptStats("acme", null, T0 + MINUTE, T0 + 3 * MINUTE)).attempts).toBe(3);
  });

  it("counts attempts recorded in the same cycle as a state write-back", async () => {
    const ds = await deliveries("a.x", 3);
    await writeState(ds[0]!, { ...initialEndpointState(), breaker: "open" }, T0 + 1);
    await recordAttempts([record(ds[0]!, T0 + 1, ok(5)), record(ds[1]!, T0 + 1, { ms: 7, status: 500 }), record(ds[2]!, T0 + 1, ok(5))]);
    expect(await store.attemptStats("acme", a.id, T0, T0 + MINUTE)).toEqual(expected({ success: 2, http_5xx: 1 }, [5, 7, 5]));
    expect(await store.countEndpointsByBreaker()).toEqual({ closed: 1, open: 1, half_open: 0 });
  });

  it("counts endpoints per breaker state across tenants", async () => {
    expect(await store.countEndpointsByBreaker()).toEqual({ closed: 2, open: 0, half_open: 0 });
    await store.insertTenant(tenant("other"));
    const c = endpoint("other", { eventTypes: ["*"] });
    await store.insertEndpoint(c);
    await store.ingest(ingestRequest("other", [event({ type: "c.x" })]));
    const [d] = await claimDue(store, T0, "t");
    await writeState(d!, { ...initialEndpointState(), breaker: "open" }, T0 + 1);
    await recordAttempts([record(d!, T0 + 1, { ms: 3, status: 500 })]);
    expect(await store.countEndpointsByBreaker()).toEqual({ closed: 2, open: 1, half_open: 0 });
    expect(await store.resetEndpointState("other", c.id, T0 + 2)).toBe(true);
    expect(await store.countEndpointsByBreaker()).toEqual({ closed: 3, open: 0, half_open: 0 });
  });

  it("counts the backlog live: pending (being sent or not) and failed, per endpoint and per tenant", async () => {
    const ds = await deliveries("a.x", 4);
    await recordAttempts([record(ds[0]!, T0 + 1, ok(5)), record(ds[1]!, T0 + 1, { ms: 5, status: 500 })]);
    await store.ingest(ingestRequest("acme", [event({ type: "b.x" })]));
    // a: one succeeded, one failed (retry scheduled), two never attempted: pending.
    expect(await store.deliveryBacklog("acme", a.id)).toEqual({ pending: 2, failed: 1 });
    expect(await store.deliveryBacklog("acme", b.id)).toEqual({ pending: 1, failed: 0 });
    expect(await store.deliveryBacklog("acme", null)).toEqual({ pending: 3, failed: 1 });
    await store.insertTenant(tenant("other"));
    expect(await store.deliveryBacklog("other", null)).toEqual({ pending: 0, failed: 0 });
  });

  it("removes the rows with their endpoint or tenant, and by age in batches", async () => {
    for (let m = 0; m < 3; m++) {
      const ds = await deliveries("a.x", 1, T0 + m * MINUTE);
      const [bd] = await deliveries("b.x", 1, T0 + m * MINUTE);
      await recordAttempts([record(ds[0]!, T0 + m * MINUTE, ok(5)), record(bd!, T0 + m * MINUTE, ok(5))]);
    }
    const all = () => store.attemptStats("acme", null, T0 - MINUTE, T0 + 10 * MINUTE);
    expect((await all()).attempts).toBe(6);
    // Retention: the 4 rows of the first two minutes, at most 3 per batch.
    expect(await store.deleteAttemptStatsBefore(T0 + 2 * MINUTE, 3)).toBe(3);
    expect(await store.deleteAttemptStatsBefore(T0 + 2 * MINUTE, 3)).toBe(1);
    expect(await store.deleteAttemptStatsBefore(T0 + 2 * MINUTE, 3)).toBe(0);
    expect(await all()).toEqual(expected({ success: 2 }, [5, 5]));

    expect(await deleteEndpointNow(store, "acme", a.id)).toBe(true);
    expect(await all()).toEqual(expected({ success: 1 }, [5]));
    expect(await deleteTenantNow(store, "acme")).toBe(true);
    // Nothing is left for retention to find: the rows went with the tenant.
    expect(await store.deleteAttemptStatsBefore(T0 + 100 * MINUTE, 100)).toBe(0);
  });
}
