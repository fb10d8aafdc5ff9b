/**
 * The isolation half of the Store contract, run against both adapters: the per-endpoint in-flight limit (also across
 * concurrent claimers with their own connections), the fair walk over endpoints, first attempts and retries taking
 * turns, admission quotas that postpone without spending an attempt, endpoint state written by claims and records,
 * auto-disable through the record path, and reset.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type EndpointState, initialEndpointState } from "../../src/domain/endpoint-state.ts";
import type { Endpoint } from "../../src/domain/types.ts";
import type { AttemptRecord, ClaimedDelivery, IsolationPolicy, Store } from "../../src/store/store.ts";
import { createTestDatabase, type StoreKind, type TestDatabase } from "../support/stores.ts";
import { attemptRecord, endpoint, event, ingestRequest, T0, tenant } from "./fixtures.ts";

const MARGIN = 15_000;

function record(d: ClaimedDelivery, now: number, ok: boolean): AttemptRecord {
  return attemptRecord(d, now, { status: ok ? 200 : 500, durationMs: 5, startedAt: now - 5 });
}

/** A policy with a fixed quota per endpoint that counts claims into the state, and counts observed attempts. */
function countingPolicy(quota: (id: string) => number, disable: string | null = null): IsolationPolicy {
  return {
    admit: (c) => ({
      quota: quota(c.endpointId),
      timeoutMs: 1234,
      settle: (n) => (n > 0 ? { ...c.state, tokens: (Number.isNaN(c.state.tokens) ? 0 : c.state.tokens) + n } : null),
    }),
    observe: (state: EndpointState, records) => ({
      state: { ...state, attempts: state.attempts + records.length },
      disableReason: disable,
    }),
  };
}

export function runIsolationContract(kind: StoreKind): void {
  describe(`Store isolation contract: ${kind}`, () => {
    let db: TestDatabase;
    let store: Store;
    const extra: Store[] = [];

    beforeEach(async () => {
      db = await createTestDatabase(kind);
      store = await db.open();
      await store.insertTenant(tenant("acme"));
    });

    afterEach(async () => {
      for (const s of extra.splice(0)) await s.close();
      await store.close();
      await db.destroy();
    });

    async function addEndpoint(over: Partial<Endpoint> = {}): Promise<string> {
      const ep = endpoint("acme", over);
      await store.insertEndpoint(ep);
      return ep.id;
    }

    /** n events for one endpoint only (its event type is unique to it). */
    async function publish(type: string, n: number, at = T0): Promise<void> {
      await store.ingest(ingestRequest("acme", Array.from({ length: n }, () => event({ type, createdAt: at }))));
    }

    function claim(now: number, limit = 100, isolation?: IsolationPolicy, on: Store = store, token = "token-a") {
      return on.claimDue({ limit, leaseMarginMs: MARGIN, now, leaseToken: token, ...(isolation ? { isolation } : {}) });
    }

    it("never leases more than max_in_flight deliveries of one endpoint; a recorded or expired lease frees a slot", async () => {
      await addEndpoint({ maxInFlight: 3, eventTypes: ["a"] });
      await publish("a", 10);
      const first = await claim(T0 + 1);
      expect(first).toHaveLength(3);
      expect(await claim(T0 + 2)).toEqual([]);
      await store.recordAttempts([record(first[0]!, T0 + 3, true)]);
      expect(await claim(T0 + 4)).toHaveLength(1);
      // The other two leases (and the new one) run out after timeout + margin; then they count no more.
      const later = await claim(T0 + 4 + 15_000 + MARGIN);
      expect(later).toHaveLength(3);
    });

    it("holds the limit across concurrent claimers with their own connections", async () => {
      await addEndpoint({ maxInFlight: 5, eventTypes: ["a"] });
      await publish("a", 100);
      const claimers = [store, ...(await Promise.all([db.open(), db.open(), db.open()]))];
      extra.push(...claimers.slice(1));
      let leased = 0;
      for (let round = 0; round < 5; round++) {
        const results = await Promise.all(claimers.map((s, i) => claim(T0 + 1, 50, undefined, s, `token-${i}`)));
        leased += results.flat().length;
      }
      expect(leased).toBe(5);
    });

    it("reaches a fresh delivery to a quiet endpoint in the same claim as a huge backlog elsewhere", async () => {
      const busy = await addEndpoint({ eventTypes: ["busy"] });
      const quiet = await addEndpoint({ eventTypes: ["quiet"] });
      await publish("busy", 2000, T0);
      await publish("quiet", 1, T0 + 500);
      const claimed = await claim(T0 + 1000, 20);
      expect(claimed).toHaveLength(20);
      expect(claimed.filter((d) => d.endpointId === quiet)).toHaveLength(1);
      expect(claimed.filter((d) => d.endpointId === busy)).toHaveLength(19);
    });

    it("shares a claim evenly between endpoints with plenty due", async () => {
      const ids = [await addEndpoint({ eventTypes: ["a"] }), await addEndpoint({ eventTypes: ["b"] }), await addEndpoint({ eventTypes: ["c"] })];
      for (const t of ["a", "b", "c"]) await publish(t, 50);
      const claimed = await claim(T0 + 1, 30);
      for (const id of ids) expect(claimed.filter((d) => d.endpointId === id)).toHaveLength(10);
    });

    it("lets first attempts and due retries take turns within an endpoint", async () => {
      await addEndpoint({ eventTypes: ["a"] });
      await publish("a", 6, T0);
      // Six retries fall due first (failed at T0 + 10, due again at T0 + 10)...
      const firstRound = await claim(T0 + 1);
      await store.recordAttempts(firstRound.map((d) => record(d, T0 + 10, false)));
      // ...then six fresh events arrive.
      await publish("a", 6, T0 + 20);
      const mixed = await claim(T0 + 30, 6);
      expect(mixed.filter((d) => d.attempts === 0)).toHaveLength(3);
      expect(mixed.filter((d) => d.attempts === 1)).toHaveLength(3);
    });

    it("postpones what the policy does not admit without spending an attempt, and keeps it due", async () => {
      const held = await addEndpoint({ eventTypes: ["held"] });
      const open = await addEndpoint({ eventTypes: ["open"] });
      await publish("held", 5);
      await publish("open", 5);
      const policy = countingPolicy((id) => (id === held ? 0 : 2));
      const claimed = await claim(T0 + 1, 100, policy);
      expect(claimed.map((d) => d.endpointId)).toEqual([open, open]);
      expect(claimed.every((d) => d.endpoint.timeoutMs === 1234)).toBe(true);
      const page = await store.listDeliveries("acme", { endpointId: held }, { limit: 10, after: null });
      expect(page.data.map((d) => [d.status, d.attempts, d.nextAttemptAt])).toEqual(Array(5).fill(["pending", 0, T0]));
      // Admitted later, the held deliveries go.
      expect(await claim(T0 + 2, 100)).toHaveLength(8);
    });

    it("stores the state a claim settles and the state records fold in, for every worker to read", async () => {
      const id = await addEndpoint({ eventTypes: ["a"] });
      await publish("a", 4);
      const policy = countingPolicy(() => 3);
      const claimed = await claim(T0 + 1, 100, policy);
      expect(claimed).toHaveLength(3);
      let health = (await store.getEndpointHealth("acme", [id], T0 + 2)).get(id);
      expect(health?.state.tokens).toBe(3);
      expect(health?.inFlight).toBe(3);
      await store.recordAttempts(claimed.map((d) => record(d, T0 + 5, true)), policy);
      health = (await store.getEndpointHealth("acme", [id], T0 + 6)).get(id);
      expect(health?.state.attempts).toBe(3);
      expect(health?.inFlight).toBe(0);
      // Another tenant cannot read it.
      expect((await store.getEndpointHealth("other", [id], T0)).size).toBe(0);
      expect(await store.resetEndpointState("acme", id, T0 + 7)).toBe(true);
      expect((await store.getEndpointHealth("acme", [id], T0 + 8)).get(id)?.state).toEqual(initialEndpointState());
      expect(await store.resetEndpointState("other", id, T0 + 7)).toBe(false);
    });

    it("disables an endpoint when the policy's observation asks for it, atomically with the record", async () => {
      const id = await addEndpoint({ eventTypes: ["a"] });
      await publish("a", 1);
      const [d] = await claim(T0 + 1);
      await store.recordAttempts([record(d!, T0 + 5, false)], countingPolicy(() => 1, "every attempt failed"));
      const ep = await store.getEndpoint("acme", id);
      expect(ep).toMatchObject({ disabled: true, disabledReason: "every attempt failed" });
      // The same operational event a 410 records.
      const events = await store.listOperationalEvents({ types: ["endpoint.disabled"] }, { limit: 10, after: null });
      expect(events.data.map((e) => [e.endpointId, e.data])).toEqual([[id, { reason: "every attempt failed" }]]);
    });

    it("stores max_in_flight and rate_limit_per_s with the endpoint", async () => {
      const id = await addEndpoint({ maxInFlight: 7, rateLimitPerS: 2.5 });
      expect(await store.getEndpoint("acme", id)).toMatchObject({ maxInFlight: 7, rateLimitPerS: 2.5 });
      const updated = await store.updateEndpoint("acme", id, { maxInFlight: 9, rateLimitPerS: null }, T0 + 1);
      expect(updated).toMatchObject({ maxInFlight: 9, rateLimitPerS: null });
      expect(await store.getEndpoint("acme", id)).toMatchObject({ maxInFlight: 9, rateLimitPerS: null });
    });
  });
}
