/**
 * The outbox's exactly-once promise, tested the hard way: a hookd process relaying a producer's outbox is killed with
 * SIGKILL in the middle of relaying thousands of rows, twice, and restarted each time. Afterwards every committed row
 * is exactly one event in hookd with exactly one delivery, no rolled-back row ever became one, and the outbox is
 * empty.
 */
import pg from "pg";
import { afterEach, describe, expect, it } from "vitest";
import { outbox } from "../../src/outbox/index.ts";
import { TEST_ENCRYPTION_KEY } from "../support/encryption-key.ts";
import { type HookdProcess, startHookd } from "../support/hookd-process.ts";
import { createProducerDatabase, type ProducerDatabase } from "../support/producer-database.ts";
import { answer, Receiver } from "../support/receiver.ts";
import { createTestDatabase, type TestDatabase } from "../support/stores.ts";

const ADMIN = "crash-test-admin-key-0123456789";
const TRANSACTIONS = 40;
const ROWS_PER_TRANSACTION = 100;

async function api(base: string, method: string, path: string, body?: unknown) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN}`, ...(body ? { "content-type": "application/json" } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe("outbox relay: kill -9 mid-relay and restart (postgres)", () => {
  let db: TestDatabase;
  let producer: ProducerDatabase;
  let hookdDb: pg.Client;
  let receiver: Receiver;
  const procs: HookdProcess[] = [];

  afterEach(async () => {
    for (const p of procs.splice(0)) if (p.child.exitCode === null) await p.kill9();
    await hookdDb?.end().catch(() => undefined);
    await receiver?.close();
    await producer?.drop();
    await db?.destroy();
  });

  it("turns every committed row into exactly one event and one delivery, and no rolled-back row into any", async () => {
    db = await createTestDatabase("postgres");
    producer = await createProducerDatabase();
    await outbox.install(producer.url);
    receiver = await new Receiver().start();
    receiver.handler = answer(204);
    hookdDb = new pg.Client({ connectionString: db.url });
    await hookdDb.connect();
    const env = {
      HOOKD_DATABASE_URL: db.url,
      HOOKD_HOST: "127.0.0.1",
      HOOKD_PORT: "0",
      HOOKD_ADMIN_KEY: ADMIN,
      HOOKD_ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
      HOOKD_ALLOWED_NETWORKS: "127.0.0.0/8",
      HOOKD_LEASE_MARGIN_MS: "500",
      HOOKD_POLL_INTERVAL_MS: "50",
      HOOKD_OUTBOX_URLS: producer.url,
      HOOKD_OUTBOX_POLL_INTERVAL_MS: "50",
    };
    let hookd = await startHookd(env);
    procs.push(hookd);
    expect((await api(hookd.url, "POST", "/v1/tenants", { id: "acme", name: "Acme" })).status).toBe(201);
    expect((await api(hookd.url, "POST", "/v1/tenants/acme/endpoints", { url: `${receiver.url}/hook` })).status).toBe(201);

    const events = async () => Number((await hookdDb.query("SELECT count(*) AS n FROM events WHERE tenant_id = 'acme'")).rows[0].n);
    const waiting = async () => Number((await producer.query<{ n: string }>("SELECT count(*) AS n FROM hookd_outbox"))[0]!.n);

    // The producer app commits transaction after transaction while hookd relays; one in the middle rolls back.
    const app = await producer.client();
    const committed: string[] = [];
    const rolledBack: string[] = [];
    const produce = (async () => {
      for (let t = 0; t < TRANSACTIONS; t++) {
        await app.query("BEGIN");
        const ids: string[] = [];
        for (let i = 0; i < ROWS_PER_TRANSACTION; i++) {
          ids.push((await outbox.publish(app, { tenant: "acme", type: "order.created", data: { t, i } })).id);
        }
        if (t === TRANSACTIONS / 2) {
          await app.query("ROLLBACK");
          rolledBack.push(...ids);
        } else {
          await app.query("COMMIT");
          committed.push(...ids);
        }
      }
    })();

    // Kill hookd twice while it is relaying: some rows already events, others still waiting.
    const kills: { relayed: number; waiting: number }[] = [];
    for (let life = 0; life < 2; life++) {
      const seen = await events();
      const deadline = Date.now() + 20_000;
      let relayed = seen;
      while (Date.now() < deadline) {
        relayed = await events();
        if (relayed >= seen + 300) break;
        await new Promise((r) => setTimeout(r, 5));
      }
      await hookd.kill9();
      kills.push({ relayed, waiting: await waiting() });
      // Later lives name the outbox on the command line rather than in the environment.
      const { HOOKD_OUTBOX_URLS: _fromEnv, ...withoutUrls } = env;
      hookd = await startHookd(withoutUrls, ["serve", "--outbox", producer.url]);
      procs.push(hookd);
    }
    await produce;
    for (const k of kills) {
      expect(k.relayed, JSON.stringify(kills)).toBeGreaterThan(0);
      expect(k.waiting, JSON.stringify(kills)).toBeGreaterThan(0);
    }

    // The last life relays the rest.
    const deadline = Date.now() + 60_000;
    while ((await waiting()) > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(await waiting()).toBe(0);

    const { rows: stored } = await hookdDb.query<{ id: string }>("SELECT id FROM events WHERE tenant_id = 'acme'");
    expect(stored).toHaveLength(committed.length);
    expect(new Set(stored.map((r) => r.id))).toEqual(new Set(committed));
    const { rows: perEvent } = await hookdDb.query<{ n: string }>(
      "SELECT count(*) AS n FROM deliveries WHERE tenant_id = 'acme' GROUP BY event_id HAVING count(*) <> 1",
    );
    expect(perEvent).toEqual([]);
    const { rows: deliveries } = await hookdDb.query<{ n: string }>("SELECT count(*) AS n FROM deliveries WHERE tenant_id = 'acme'");
    expect(Number(deliveries[0]!.n)).toBe(committed.length);
    expect(rolledBack).toHaveLength(ROWS_PER_TRANSACTION);
    const { rows: ghosts } = await hookdDb.query("SELECT id FROM events WHERE id = ANY ($1::text[])", [rolledBack]);
    expect(ghosts).toEqual([]);
    expect(await hookd.stop()).toBe(0);
  }, 120_000);
});
