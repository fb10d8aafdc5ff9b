/**
 * What one event fanned out to many endpoints costs the worker's cycles: each endpoint is taken over, refilled until
 * it has nothing left, and given back, so the fetches a worker asks for grow with the endpoints, not with endpoints
 * times cycles. A drained lane used to be refilled whenever a cycle recorded anyone's outcome: with a thousand lanes
 * that was a thousand fetches a cycle (bench:fanout on SQLite: 2.8 s for 1,000 endpoints, 0.7 s without). The worker
 * under test is built as serve builds it, on a store whose cycle() is counted on the way through; an API-only hookd
 * on PostgreSQL takes the publish.
 */
import { describe, expect, it } from "vitest";
import type { Store } from "../../src/store/store.ts";
import { eventually } from "./harness.ts";
import { useWorkerBesideApi } from "./worker-under-test.ts";

const ENDPOINTS = 300;

describe("fan-out cost (postgres)", () => {
  const f = useWorkerBesideApi();

  it("asks for a bounded number of fetches per endpoint to deliver one event to 300 endpoints", async () => {
    const { api, store, receiver } = f;
    const tenantId = (await api.createTenant({ name: "fan-out" })).id as string;
    for (let i = 0; i < ENDPOINTS; i += 30) {
      await Promise.all(Array.from({ length: 30 }, (_, j) => api.createEndpoint(tenantId, { url: `${receiver.url}/e${i + j}` })));
    }
    expect((await api.publish(tenantId, { type: "order.paid", data: { n: 1 } })).matched_endpoints).toBe(ENDPOINTS);

    let cycles = 0;
    let refills = 0;
    const counted: Store = {
      ...store,
      cycle: async (input) => {
        cycles++;
        refills += input.refills.length;
        return store.cycle(input);
      },
    };
    // No poll-driven refills within the test: every fetch counted is one the cycles asked for.
    const worker = f.worker({ queue: counted, pollIntervalMs: 60_000, shutdownGraceMs: 500 });
    await eventually(() => expect(receiver.received).toHaveLength(ENDPOINTS), 30_000);
    await eventually(() => expect(worker.ownedEndpoints).toBe(0), 10_000);
    // Each endpoint: at most a few refills (the one that finds it drained, and one with its own outcome). Refilling
    // every drained lane on every cycle that records anything grows with endpoints x cycles.
    expect(cycles).toBeGreaterThan(1);
    expect(refills).toBeLessThanOrEqual(3 * ENDPOINTS);
  }, 60_000);
});
