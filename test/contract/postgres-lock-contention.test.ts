/**
 * PostgreSQL only: claims and attempt records both lock an endpoint's state row, and on a busy endpoint neither may
 * queue behind the other. A record that finds the lock taken commits its attempts and defers the fold into the
 * endpoint state to its next batch (or to close); a claim that finds every due endpoint locked gives up quickly
 * rather than wait. Here another connection holds the lock, as a concurrent claim would.
 */
import pg from "pg";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { EndpointState } from "../../src/domain/endpoint-state.ts";
import { PostgresStore } from "../../src/store/postgres/postgres-store.ts";
import type { AttemptRecord, ClaimedDelivery, IsolationPolicy, Store } from "../../src/store/store.ts";
import { createTestDatabase, type TestDatabase } from "../support/stores.ts";
import { attemptRecord, endpoint, event, ingestRequest, T0, tenant } from "./fixtures.ts";

/** Admits everything and counts observed attempts into the state, so a test can see which records were folded. */
const counting: IsolationPolicy = {
  admit: (c) => ({ quota: Number.POSITIVE_INFINITY, timeoutMs: c.timeoutMs, settle: () => null }),
  observe: (state: EndpointState, records) => ({ state: { ...state, attempts: state.attempts + records.length }, disableReason: null }),
};

function success(d: ClaimedDelivery, now: number): AttemptRecord {
  return attemptRecord(d, now, { status: 204, startedAt: now - 5 });
}

/** Resolves with what `p` gave, or with "still waiting" if it has not settled within `ms`. */
function within<T>(p: Promise<T>, ms: number): Promise<T | "still waiting"> {
  return Promise.race([p, new Promise<"still waiting">((r) => setTimeout(() => r("still waiting"), ms))]);
}

describe("PostgreSQL endpoint-state lock contention", () => {
  let db: TestDatabase;
  let store: Store;
  let holder: pg.Client;
  let endpointId: string;

  beforeEach(async () => {
    db = await createTestDatabase("postgres");
    store = await db.open();
    await store.insertTenant(tenant("acme"));
    const ep = endpoint("acme", { eventTypes: ["a"] });
    endpointId = ep.id;
    await store.insertEndpoint(ep);
    await store.ingest(ingestRequest("acme", Array.from({ length: 4 }, () => event({ type: "a" }))));
    holder = new pg.Client({ connectionString: db.url });
    await holder.connect();
  });

  afterEach(async () => {
    await holder.end();
    await store.close();
    await db.destroy();
  });

  /** Takes the endpoint's state lock in another transaction, as a claim in another worker would. */
  async function holdStateLock(): Promise<void> {
    await holder.query("BEGIN");
    await holder.query("SELECT 1 FROM endpoint_state WHERE endpoint_id = $1 FOR UPDATE", [endpointId]);
  }

  async function foldedAttempts(on: Store = store): Promise<number> {
    const health = await on.getEndpointHealth("acme", [endpointId], T0);
    return health.get(endpointId)?.state.attempts ?? -1;
  }

  it("records attempts while a claim holds the state lock and folds them with the next batch", async () => {
    const claimed = await store.claimDue({ limit: 10, leaseMarginMs: 15_000, now: T0 + 1, leaseToken: "t1", isolation: counting });
    expect(claimed).toHaveLength(4);
    await holdStateLock();
    const first = claimed.slice(0, 2).map((d) => success(d, T0 + 10));
    expect(await within(store.recordAttempts(first, counting), 5_000)).toBeUndefined();
    // The attempts are committed although their fold waits.
    for (const d of claimed.slice(0, 2)) expect((await store.getDelivery("acme", d.id))?.status).toBe("succeeded");
    expect(await foldedAttempts()).toBe(0);
    await holder.query("COMMIT");
    await store.recordAttempts(claimed.slice(2).map((d) => success(d, T0 + 20)), counting);
    expect(await foldedAttempts()).toBe(4);
  });

  it("waits for the state lock to fold a failure, so the next claim sees the breaker's input", async () => {
    const claimed = await store.claimDue({ limit: 10, leaseMarginMs: 15_000, now: T0 + 1, leaseToken: "t1", isolation: counting });
    await holdStateLock();
    const recording = store.recordAttempts([attemptRecord(claimed[0]!, T0 + 10, { status: 503 })], counting);
    expect(await within(recording, 500)).toBe("still waiting");
    await holder.query("COMMIT");
    await recording;
    expect(await foldedAttempts()).toBe(1);
  });

  it("folds deferred attempts when the store closes", async () => {
    const claimed = await store.claimDue({ limit: 10, leaseMarginMs: 15_000, now: T0 + 1, leaseToken: "t1", isolation: counting });
    await holdStateLock();
    await store.recordAttempts(claimed.map((d) => success(d, T0 + 10)), counting);
    await holder.query("COMMIT");
    await store.close();
    store = await db.open();
    expect(await foldedAttempts()).toBe(4);
  });

  it("comes back empty instead of waiting while every due endpoint is locked, and claims once it is free", async () => {
    await holdStateLock();
    const blocked = store.claimDue({ limit: 10, leaseMarginMs: 15_000, now: T0 + 1, leaseToken: "t1", isolation: counting });
    expect(await within(blocked, 5_000)).toEqual([]);
    await holder.query("COMMIT");
    const claimed = await store.claimDue({ limit: 10, leaseMarginMs: 15_000, now: T0 + 2, leaseToken: "t2", isolation: counting });
    expect(claimed).toHaveLength(4);
  });

  it("lets two processes record attempts of one endpoint in the same minute without waiting on one stats row", async () => {
    const a = new PostgresStore({ url: db.url, poolSize: 2, onError: () => undefined, statsShard: 1 });
    const b = new PostgresStore({ url: db.url, poolSize: 2, onError: () => undefined, statsShard: 2 });
    try {
      const claimedA = await a.claimDue({ limit: 2, leaseMarginMs: 15_000, now: T0 + 1, leaseToken: "ta" });
      const claimedB = await b.claimDue({ limit: 2, leaseMarginMs: 15_000, now: T0 + 1, leaseToken: "tb" });
      expect(claimedA.length + claimedB.length).toBe(4);
      await a.recordAttempts(claimedA.map((d) => success(d, T0 + 10)));
      // Process A is in the middle of recording more: it holds its stats row for this minute.
      await holder.query("BEGIN");
      const held = await holder.query("SELECT 1 FROM endpoint_attempt_stats WHERE endpoint_id = $1 AND shard = 1 FOR UPDATE", [endpointId]);
      // A's attempts really are in shard 1's row, so the lock above is the one B would queue behind without shards.
      expect(held.rowCount).toBe(1);
      expect(await within(b.recordAttempts(claimedB.map((d) => success(d, T0 + 20))), 5_000)).toBeUndefined();
      await holder.query("COMMIT");
      // The minute's stats are the sum of both processes' rows.
      const stats = await store.attemptStats("acme", endpointId, T0 - 60_000, T0 + 60_000);
      expect(stats.attempts).toBe(4);
    } finally {
      await a.close();
      await b.close();
    }
  });
});
