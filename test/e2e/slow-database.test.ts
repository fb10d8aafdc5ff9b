/**
 * A slow database slows delivery; it never duplicates it. Two workers share one PostgreSQL, and every cycle of theirs
 * (the one transaction that records outcomes, renews ownership and fetches work) reaches the database 1.2 s late:
 * longer than an endpoint's hold (its 1 s timeout plus a 0.5 s margin). With margins that ignore the cycle time,
 * every renewed hold arrives too short to start a request and nothing is sent at all (an earlier design, leasing
 * delivery rows, sent the 20 events 100 times). Ownership follows the measured cycle time: each of 20 events reaches
 * the receiver exactly once, and each delivery has exactly one attempt row.
 *
 * The delay wraps the real store's queue port (the statements and the database are real; only their arrival is
 * late), and an API-only hookd takes the publishes.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import type { QueuePort } from "../../src/store/store.ts";
import { eventually } from "./harness.ts";
import { useWorkerBesideApi } from "./worker-under-test.ts";

const EVENTS = 20;
const CYCLE_DELAY_MS = 1_200;

/** The real queue port, its cycles arriving late. */
function slowed(queue: QueuePort): QueuePort {
  return {
    cycle: async (input) => {
      await sleep(CYCLE_DELAY_MS);
      return queue.cycle(input);
    },
    subscribeWork: (onWork) => queue.subscribeWork(onWork),
    subscribeEndpointChanges: (onChange) => queue.subscribeEndpointChanges(onChange),
  };
}

describe("a database slower than an endpoint's hold (postgres)", () => {
  const f = useWorkerBesideApi(6);

  it("sends every delivery exactly once, with one attempt row each", async () => {
    const { api, store, receiver } = f;
    const tenantId = (await api.createTenant({ name: "slow db" })).id as string;
    const endpoint = await api.createEndpoint(tenantId, { url: `${receiver.url}/hooks`, timeout_ms: 1_000 });
    for (let i = 0; i < 2; i++) f.worker({ queue: slowed(store), config: { leaseMarginMs: 500 } });
    const ids: string[] = [];
    for (let n = 0; n < EVENTS; n++) ids.push((await api.publish(tenantId, { type: "order.created", data: { n } })).id as string);

    const deliveries = await eventually(async () => {
      const list = await api.deliveriesOf(tenantId, { endpoint_id: endpoint.id });
      expect(list.filter((d) => d.status === "succeeded")).toHaveLength(EVENTS);
      return list;
    }, 90_000);
    // Outcomes recorded: nothing is sent after this, so the receiver's count is final.
    const sent = receiver.received.map((r) => r.headers["webhook-id"] as string);
    expect(sent).toHaveLength(EVENTS);
    expect(new Set(sent)).toEqual(new Set(ids));
    for (const d of deliveries) {
      const detail = await api.getDelivery(tenantId, d.id as string);
      expect(detail.attempts, d.id as string).toHaveLength(1);
    }
  }, 120_000);
});
