/**
 * PostgreSQL only: what the queue's locks promise when processes run at once. Ingest takes an endpoint's scheduler
 * row (endpoint_queue) to number its deliveries; an owner's cycle takes the endpoint's stream row (endpoint_stream)
 * and the scheduler row only to renew or give the endpoint back. Here another connection holds a lock as a
 * concurrent ingest or cycle would, and the test checks who waits, who skips, and that no work is ever stranded.
 */
import pg from "pg";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Store } from "../../src/store/store.ts";
import { createTestDatabase, type TestDatabase } from "../support/stores.ts";
import { endpoint, event, ingestRequest, T0, tenant } from "./fixtures.ts";
import { OWNERSHIP, QueueDriver } from "./queue-driver.ts";

/** Resolves with what `p` gave, or with "still waiting" if it has not settled within `ms`. */
function within<T>(p: Promise<T>, ms: number): Promise<T | "still waiting"> {
  return Promise.race([p, new Promise<"still waiting">((r) => setTimeout(() => r("still waiting"), ms))]);
}

describe("PostgreSQL queue locks", () => {
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
    holder = new pg.Client({ connectionString: db.url });
    await holder.connect();
  });

  afterEach(async () => {
    await holder.query("ROLLBACK").catch(() => undefined);
    await holder.end();
    await store.close();
    await db.destroy();
  });

  async function publish(n: number, at = T0): Promise<void> {
    await store.ingest(ingestRequest("acme", Array.from({ length: n }, () => event({ type: "a", createdAt: at }))));
  }

  it("records an owner's outcomes while an ingest holds the endpoint's scheduler row", async () => {
    await publish(2);
    const w = new QueueDriver(store);
    const work = await w.take(T0 + 1);
    await holder.query("BEGIN");
    await holder.query("SELECT 1 FROM endpoint_queue WHERE endpoint_id = $1 FOR NO KEY UPDATE", [endpointId]);
    const recorded = w.record(work.map((x) => w.outcome(x, T0 + 2, { status: 204 })), T0 + 2);
    expect(await within(recorded, 2_000)).not.toBe("still waiting");
    await holder.query("COMMIT");
    expect((await store.listDeliveries("acme", { statuses: ["succeeded"] }, { limit: 10, after: null })).data).toHaveLength(2);
  });

  it("skips an endpoint whose stream row another cycle holds instead of waiting, and takes it once free", async () => {
    await publish(1);
    await holder.query("BEGIN");
    await holder.query("SELECT 1 FROM endpoint_stream WHERE endpoint_id = $1 FOR NO KEY UPDATE", [endpointId]);
    const w = new QueueDriver(store);
    const taken = await within(w.take(T0 + 1), 2_000);
    expect(taken).toEqual([]);
    await holder.query("COMMIT");
    expect(await w.take(T0 + 2)).toHaveLength(1);
  });

  it("never strands a delivery whose ingest commits while its endpoint is being given back", async () => {
    await publish(1);
    const w = new QueueDriver(store);
    const [first] = await w.take(T0 + 1);
    if (!first) throw new Error("nothing taken");
    // An ingest is under way: it holds the scheduler row and has numbered a delivery it has not committed yet.
    await holder.query("BEGIN");
    const { rows } = await holder.query<{ next_seq: string }>(
      "UPDATE endpoint_queue SET next_seq = next_seq + 1 WHERE endpoint_id = $1 RETURNING next_seq",
      [endpointId],
    );
    await holder.query("INSERT INTO events (tenant_id, id, type, data, created_at) VALUES ('acme', 'evt_late', 'a', '{}', $1)", [T0 + 2]);
    await holder.query(
      `INSERT INTO deliveries (id, tenant_id, event_id, event_type, endpoint_id, seq, status, next_attempt_at, created_at, updated_at)
       VALUES ('dlv_late', 'acme', 'evt_late', 'a', $1, $2, 'pending', $3, $3, $3)`,
      [endpointId, Number(rows[0]!.next_seq), T0 + 2],
    );
    // The owner records its last outcome and gives the endpoint back: the release must wait for the ingest...
    const released = w.record([w.outcome(first, T0 + 3, { status: 204 })], T0 + 3, { release: true });
    expect(await within(released, 300)).toBe("still waiting");
    await holder.query("COMMIT");
    await released;
    // ...and then see its delivery: the endpoint is due, and the next takeover finds it.
    const next = new QueueDriver(store, "next");
    expect((await next.take(T0 + 4)).map((x) => x.deliveryId)).toEqual(["dlv_late"]);
  });

  it("lets many ingests over overlapping endpoints and an owner's cycles run at once without a deadlock", async () => {
    const ids = [endpointId];
    for (let i = 0; i < 5; i++) {
      const ep = endpoint("acme", { eventTypes: ["a"] });
      await store.insertEndpoint(ep);
      ids.push(ep.id);
    }
    const w = new QueueDriver(store);
    const ingests = Array.from({ length: 30 }, (_, i) =>
      store.ingest(ingestRequest("acme", Array.from({ length: 1 + (i % 3) }, () => event({ type: "a", createdAt: T0 }))))
    );
    const cycles = (async () => {
      let handed = 0;
      for (let round = 0; round < 10; round++) {
        const work = await w.take(T0 + round);
        handed += work.length;
        await w.record(work.map((x) => w.outcome(x, T0 + round, { status: 204 })), T0 + round);
      }
      return handed;
    })();
    const results = await Promise.all(ingests);
    expect(results.every((r) => r.kind === "created")).toBe(true);
    const handed = await cycles;
    const late = new QueueDriver(store, "late");
    const rest = await late.take(T0 + 20 + OWNERSHIP);
    const total = results.reduce((n, r) => n + (r.kind === "created" ? r.events.reduce((m, e) => m + e.matchedEndpoints, 0) : 0), 0);
    expect(handed + rest.length).toBe(total);
    // Every endpoint's stream is numbered 1..n without a gap or a repeat.
    const { rows } = await holder.query<{ endpoint_id: string; n: string; max: string; distinct: string }>(
      "SELECT endpoint_id, count(*) AS n, max(seq) AS max, count(DISTINCT seq) AS distinct FROM deliveries GROUP BY endpoint_id",
    );
    for (const r of rows) expect([r.n, r.distinct]).toEqual([r.max, r.max]);
  });

  it("numbers deliveries on the scheduler row with HOT updates, so ingest writes no index entry for it", async () => {
    await publish(1);
    await new QueueDriver(store).take(T0 + 1);
    for (let i = 0; i < 20; i++) await publish(1, T0 + 2 + i);
    // Backends report their statistics to the view within a second or two of their transactions.
    let updates = 0;
    let hot = 0;
    for (let tries = 0; tries < 100 && updates < 20; tries++) {
      const { rows } = await holder.query<{ n_tup_upd: string; n_tup_hot_upd: string }>(
        "SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_user_tables WHERE relname = 'endpoint_queue'",
      );
      updates = Number(rows[0]?.n_tup_upd ?? 0);
      hot = Number(rows[0]?.n_tup_hot_upd ?? 0);
      if (updates < 20) await new Promise((r) => setTimeout(r, 100));
    }
    expect(updates).toBeGreaterThanOrEqual(20);
    expect(hot / updates).toBeGreaterThan(0.8);
  });
});
