/**
 * A worker fetches work ahead of sending it, and fetched work holds its event's data. With many endpoints and large
 * events that must stay bounded: the worker keeps at most its prefetch budget of event data waiting (plus what its
 * endpoints' next items were estimated at), whatever the backlog. Here 30 endpoints each have 12 events of 48 KB
 * (17 MB in all) and a receiver that holds every request open, so nothing finishes and work piles up in the lanes;
 * the budget is 4 MB. An API-only hookd on PostgreSQL takes the publishes; the worker under test is built directly
 * as serve builds it, with the small budget.
 */
import { afterAll, describe, expect, it } from "vitest";
import { eventually, parked } from "./harness.ts";
import { useWorkerBesideApi } from "./worker-under-test.ts";

const ENDPOINTS = 30;
const EVENTS = 12;
const DATA = "x".repeat(48 * 1024);
const BUDGET = 4 * 1024 * 1024;

describe("the prefetch budget (postgres)", () => {
  const f = useWorkerBesideApi();
  const hold = parked(200);
  // Before the fixture stops the worker: the held requests answer, so its stop does not wait for them.
  afterAll(() => hold.release());

  it("keeps fetched event data within the budget while 17 MB waits", async () => {
    const { api, receiver } = f;
    receiver.handler = hold.handler;
    const tenantId = (await api.createTenant({ name: "big events" })).id as string;
    for (let i = 0; i < ENDPOINTS; i++) await api.createEndpoint(tenantId, { url: `${receiver.url}/e${i}` });
    for (let n = 0; n < EVENTS; n++) {
      const res = await api.post(`/v1/tenants/${tenantId}/events/batch`, {
        events: [{ type: "big.one", data: { n, blob: DATA } }],
      });
      expect(res.status).toBe(202);
    }
    const worker = f.worker({ pollIntervalMs: 50, shutdownGraceMs: 500, prefetchBytes: BUDGET });
    // Every endpoint has its first requests open at the receiver (4 each: the starting concurrency limit).
    await eventually(() => expect(hold.waiting()).toBe(ENDPOINTS * 4), 20_000);
    let most = 0;
    for (let i = 0; i < 40; i++) {
      most = Math.max(most, worker.prefetchedBytes);
      await new Promise((r) => setTimeout(r, 25));
    }
    // Without the budget each endpoint would hold the rest of its backlog (8 more events, 12 MB in all); with it,
    // each holds its share (2 events), the budget's worth less what does not divide evenly.
    expect(most).toBeGreaterThan(BUDGET / 2);
    expect(most).toBeLessThanOrEqual(BUDGET);
    expect(worker.ownedEndpoints).toBe(ENDPOINTS);
  }, 60_000);
});
