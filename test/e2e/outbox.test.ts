/**
 * The transactional outbox (PostgreSQL), end to end: a producer app's own database with the outbox installed, the
 * helper called inside the producer's transactions, and hookd relaying (serve --outbox, here createApp with
 * outboxUrls) into a real receiver. A rolled-back transaction never becomes a webhook; a committed one becomes
 * exactly one event and one delivery; rows reach hookd in order even with two hookd processes relaying the same
 * outbox; a row hookd refuses is marked failed without holding up the rest; NOTIFY wakes the relay.
 */
import { PassThrough } from "node:stream";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildProgram } from "../../src/cli/program.ts";
import { OUTBOX_DDL, outbox } from "../../src/outbox/index.ts";
import { answer } from "../support/receiver.ts";
import { createProducerDatabase, type ProducerDatabase } from "../support/producer-database.ts";
import { eventually, type Json, startHookd, useHookd } from "./harness.ts";

/** Rows still waiting in the producer's outbox (not failed). */
async function waiting(producer: ProducerDatabase): Promise<number> {
  const [row] = await producer.query<{ n: number }>("SELECT count(*)::int AS n FROM hookd_outbox WHERE failed_at IS NULL");
  return row!.n;
}

/** hookd's own rows, read directly: the event ids an endpoint's stream holds, in stream (sequence) order. */
async function streamOf(hookdUrl: string, endpointId: string): Promise<string[]> {
  const c = new pg.Client({ connectionString: hookdUrl });
  await c.connect();
  try {
    const { rows } = await c.query<{ event_id: string }>("SELECT event_id FROM deliveries WHERE endpoint_id = $1 ORDER BY seq", [
      endpointId,
    ]);
    return rows.map((r) => r.event_id);
  } finally {
    await c.end();
  }
}

describe("transactional outbox (postgres)", () => {
  let producer: ProducerDatabase;
  // Registered before useHookd's hooks, so the producer database exists when hookd starts relaying it.
  beforeAll(async () => {
    producer = await createProducerDatabase();
    await outbox.install(producer.url);
    // Installing again is harmless.
    await outbox.install(producer.url);
  }, 30_000);
  const h = useHookd("postgres", {
    // Read when the app starts (the getter runs as the config is built), after the database above exists.
    get outboxUrls() {
      return [producer.url];
    },
    outboxPollIntervalMs: 60_000,
  });
  afterAll(async () => {
    await producer?.drop();
  });

  it("a rolled-back transaction never becomes a webhook; a committed one becomes exactly one event and delivery", async () => {
    const tenant = await h.tenant();
    const receiver = await h.receiver(answer(204));
    const ep = await h.api.createEndpoint(tenant, { url: receiver.url });
    const app = await producer.client();
    await app.query("CREATE TABLE IF NOT EXISTS invoices (id text PRIMARY KEY, paid boolean NOT NULL)");

    await app.query("BEGIN");
    await app.query("INSERT INTO invoices VALUES ('in_1', true)");
    const rolledBack = await outbox.publish(app, { tenant, type: "invoice.paid", data: { invoice: "in_1" } });
    await app.query("ROLLBACK");

    const startedAt = Date.now();
    await app.query("BEGIN");
    await app.query("INSERT INTO invoices VALUES ('in_2', true)");
    const committed = await outbox.publish(app, { tenant, type: "invoice.paid", data: { invoice: "in_2", amount: 4200 } });
    await app.query("COMMIT");

    await receiver.waitFor(1);
    // The poll is a minute: only the trigger's NOTIFY can have woken the relay this fast.
    expect(Date.now() - startedAt).toBeLessThan(5_000);
    await eventually(async () => expect(await waiting(producer)).toBe(0));
    const event = await h.api.expectGet(`/v1/tenants/${tenant}/events/${committed.id}`);
    expect(event).toMatchObject({ id: committed.id, type: "invoice.paid", data: { invoice: "in_2", amount: 4200 } });
    expect(event.deliveries).toHaveLength(1);
    expect(event.deliveries[0].endpoint_id).toBe(ep.id);
    expect((await h.api.get(`/v1/tenants/${tenant}/events/${rolledBack.id}`)).status).toBe(404);
    expect(receiver.received.map((r) => r.headers["webhook-id"])).toEqual([committed.id]);
    expect(await h.api.deliveriesOf(tenant)).toHaveLength(1);
  });

  it("relays in order, exactly once, with two hookd processes relaying the same outbox", async () => {
    const second = await startHookd(h.db.url, { outboxUrls: [producer.url], outboxPollIntervalMs: 60_000 });
    try {
      const tenant = await h.tenant();
      const ep = await h.api.createEndpoint(tenant, { url: "http://127.0.0.1:9/hook" });
      const app = await producer.client();
      const ids: string[] = [];
      // Several transactions of several rows, committed one after another while both relays run.
      for (let t = 0; t < 25; t++) {
        await app.query("BEGIN");
        for (let i = 0; i < 10; i++) ids.push((await outbox.publish(app, { tenant, type: "order.step", data: { t, i } })).id);
        await app.query("COMMIT");
      }
      await eventually(async () => expect(await waiting(producer)).toBe(0), 20_000);
      expect(await streamOf(h.db.url, ep.id)).toEqual(ids);
      const events = await h.api.deliveriesOf(tenant, { limit: "250" });
      expect(events).toHaveLength(250);
    } finally {
      await second.close();
    }
  });

  it("marks a row hookd refuses as failed, relays the rows after it, and relays it once it is fixed and cleared", async () => {
    const tenant = await h.tenant();
    const receiver = await h.receiver(answer(204));
    await h.api.createEndpoint(tenant, { url: receiver.url });
    const app = await producer.client();
    await app.query("BEGIN");
    const before = await outbox.publish(app, { tenant, type: "a.before", data: {} });
    const orphan = await outbox.publish(app, { tenant: "no-such-tenant", type: "a.orphan", data: {} });
    // A raw insert the helper would have refused.
    await app.query("INSERT INTO hookd_outbox (tenant_id, type, data) VALUES ($1, 'not a type!', '{}')", [tenant]);
    const after = await outbox.publish(app, { tenant, type: "a.after", data: {} });
    await app.query("COMMIT");

    await receiver.waitFor(2);
    expect(receiver.received.map((r) => r.headers["webhook-id"]).sort()).toEqual([before.id, after.id].sort());
    const failed = await eventually(async () => {
      const rows = await producer.query<{ id: string; error: string }>(
        "SELECT id, error FROM hookd_outbox WHERE failed_at IS NOT NULL ORDER BY seq",
      );
      expect(rows).toHaveLength(2);
      return rows;
    });
    expect(failed[0]).toEqual({ id: orphan.id, error: expect.stringMatching(/^TENANT_NOT_FOUND/) });
    expect(failed[1]!.error).toMatch(/not a valid event/);

    await h.api.createTenant({ id: "no-such-tenant", name: "Now it exists" });
    await h.api.createEndpoint("no-such-tenant", { url: receiver.url });
    await producer.query("UPDATE hookd_outbox SET failed_at = NULL, error = NULL WHERE id = $1", [orphan.id]);
    await producer.query("NOTIFY hookd_outbox");
    await receiver.waitFor(3);
    expect(receiver.received[2]!.headers["webhook-id"]).toBe(orphan.id);
    await producer.query("DELETE FROM hookd_outbox");
  });

  it("turns rows with the same idempotency key and body into one event", async () => {
    const tenant = await h.tenant();
    const receiver = await h.receiver(answer(204));
    await h.api.createEndpoint(tenant, { url: receiver.url });
    const app = await producer.client();
    await app.query("BEGIN");
    const first = await outbox.publish(app, { tenant, type: "pay.done", data: { p: 1 }, idempotency_key: "payment-1" });
    await outbox.publish(app, { tenant, type: "pay.done", data: { p: 1 }, idempotency_key: "payment-1" });
    const marker = await outbox.publish(app, { tenant, type: "pay.marker", data: {} });
    await app.query("COMMIT");
    await receiver.waitFor(2);
    await eventually(async () => expect(await waiting(producer)).toBe(0));
    expect(receiver.received.map((r) => r.headers["webhook-id"])).toEqual([first.id, marker.id]);
    expect(await h.api.deliveriesOf(tenant)).toHaveLength(2);
  });

  it("publishing a row whose event hookd already has (a relay that died before deleting it) creates nothing", async () => {
    const tenant = await h.tenant();
    const receiver = await h.receiver(answer(204));
    await h.api.createEndpoint(tenant, { url: receiver.url });
    // As the relay would have published it before dying: same id, type and data.
    const id = "evt_already_relayed_1";
    await h.api.publish(tenant, { id, type: "x.once", data: { n: 1 } });
    await receiver.waitFor(1);
    await producer.query("INSERT INTO hookd_outbox (id, tenant_id, type, data) VALUES ($1, $2, 'x.once', '{\"n\":1}')", [id, tenant]);
    const marker = await outbox.publish(await producer.client(), { tenant, type: "x.marker", data: {} });
    await receiver.waitFor(2);
    await eventually(async () => expect(await waiting(producer)).toBe(0));
    expect(receiver.received.map((r) => r.headers["webhook-id"])).toEqual([id, marker.id]);
    const event = await h.api.expectGet(`/v1/tenants/${tenant}/events/${id}`);
    expect(event.deliveries).toHaveLength(1);
  });

  it("refuses in the producer's transaction what hookd would refuse", async () => {
    const app = await producer.client();
    for (const bad of [
      { tenant: "has space", type: "a.b", data: {} },
      { tenant: "acme", type: "bad type", data: {} },
      { tenant: "acme", type: "a.b", data: [] as unknown as Json },
      { tenant: "acme", type: "a.b", data: {}, idempotency_key: "" },
    ]) {
      await expect(outbox.publish(app, bad)).rejects.toThrow(/must/);
    }
  });
});

describe("transactional outbox relayed into the embedded store (sqlite)", () => {
  let producer: ProducerDatabase;
  beforeAll(async () => {
    producer = await createProducerDatabase();
    await outbox.install(producer.url);
  }, 30_000);
  const h = useHookd("sqlite", {
    get outboxUrls() {
      return [producer.url];
    },
    outboxPollIntervalMs: 60_000,
  });
  afterAll(async () => {
    await producer?.drop();
  });

  it("relays committed rows once, never rolled-back ones, and creates nothing for a row whose event exists", async () => {
    const tenant = await h.tenant();
    const receiver = await h.receiver(answer(204));
    await h.api.createEndpoint(tenant, { url: receiver.url });
    await h.api.publish(tenant, { id: "evt_relayed_before", type: "x.once", data: { n: 1 } });
    await receiver.waitFor(1);
    const app = await producer.client();
    await app.query("BEGIN");
    const gone = await outbox.publish(app, { tenant, type: "x.gone", data: {} });
    await app.query("ROLLBACK");
    await app.query("BEGIN");
    await app.query("INSERT INTO hookd_outbox (id, tenant_id, type, data) VALUES ('evt_relayed_before', $1, 'x.once', '{\"n\":1}')", [
      tenant,
    ]);
    const kept = await outbox.publish(app, { tenant, type: "x.kept", data: { k: true } });
    await app.query("COMMIT");
    await receiver.waitFor(2);
    await eventually(async () => expect(await waiting(producer)).toBe(0));
    expect(receiver.received.map((r) => r.headers["webhook-id"])).toEqual(["evt_relayed_before", kept.id]);
    expect((await h.api.get(`/v1/tenants/${tenant}/events/${gone.id}`)).status).toBe(404);
    expect(await h.api.deliveriesOf(tenant)).toHaveLength(2);
  });
});

describe("hookd outbox install", () => {
  it("prints the DDL, and creates the table and trigger in a producer database", async () => {
    const producer = await createProducerDatabase();
    try {
      const out: string[] = [];
      const io = { env: {}, stdout: (t: string) => out.push(t), stderr: (t: string) => out.push(t), progress: new PassThrough() };
      expect(await buildProgram(io).run(["node", "hookd", "outbox", "install", "--print"])).toBe(0);
      expect(out.join("")).toBe(OUTBOX_DDL);
      out.length = 0;
      expect(await buildProgram(io).run(["node", "hookd", "outbox", "install", "--database-url", producer.url])).toBe(0);
      expect(out.join("")).toMatch(/^installed hookd_outbox in postgres:\/\//);
      const tables = await producer.query("SELECT 1 FROM information_schema.tables WHERE table_name = 'hookd_outbox'");
      expect(tables).toHaveLength(1);
      const triggers = await producer.query("SELECT 1 FROM pg_trigger WHERE tgname = 'hookd_outbox_notify'");
      expect(triggers).toHaveLength(1);
      out.length = 0;
      expect(await buildProgram(io).run(["node", "hookd", "outbox", "install"])).toBe(2);
      expect(out.join("")).toMatch(/--database-url/);
      out.length = 0;
      expect(await buildProgram(io).run(["node", "hookd", "serve", "--outbox", "mysql://db/app"])).toBe(2);
      expect(out.join("")).toMatch(/--outbox takes postgres:\/\/ URLs/);
    } finally {
      await producer.drop();
    }
  });
});
