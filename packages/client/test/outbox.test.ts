/**
 * The producer's outbox helper against a real PostgreSQL producer database and a real hookd relaying it (createApp
 * with outboxUrls, as `hookd serve --outbox` runs it): a transaction that rolls back leaves no row and no webhook;
 * one that commits leaves exactly one row, which hookd relays into exactly one event and one delivery.
 */
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createOutbox, outbox, OutboxEventError } from "../src/index.ts";
import { installOutbox } from "../../../src/outbox/install.ts";
import { createProducerDatabase, type ProducerDatabase } from "../../../test/support/producer-database.ts";
import { Receiver } from "../../../test/support/receiver.ts";
import { eventually, useHookd } from "./support/hookd.js";

describe("outbox.publish (PostgreSQL)", () => {
  let producer: ProducerDatabase;
  let receiver: Receiver;
  // Registered before useHookd's hooks, so the producer database has its outbox when hookd starts relaying it.
  beforeAll(async () => {
    producer = await createProducerDatabase();
    await installOutbox(producer.url);
    receiver = await new Receiver().start();
  }, 30_000);
  const h = useHookd("postgres", {
    get outboxUrls() {
      return [producer.url];
    },
  });
  afterAll(async () => {
    await receiver?.close();
    await producer?.drop();
  });

  const rows = async () =>
    producer.query<{ id: string; tenant_id: string; type: string; data: unknown; idempotency_key: string | null }>(
      "SELECT id, tenant_id, type, data, idempotency_key FROM hookd_outbox ORDER BY seq",
    );

  it("writes nothing for a transaction that rolls back, and exactly one event for one that commits", async () => {
    const tenant = await h.tenant();
    const endpoint = await h.api.createEndpoint(tenant, { url: `${receiver.url}/hook`, event_types: ["invoice.*"] });
    const app: pg.Client = await producer.client();
    await app.query("CREATE TABLE invoices (id text PRIMARY KEY, paid boolean NOT NULL)");

    await app.query("BEGIN");
    await app.query("INSERT INTO invoices VALUES ('in_1', true)");
    const rolledBack = await outbox.publish(app, { tenant_id: tenant, type: "invoice.paid", data: { invoice: "in_1" } });
    await app.query("ROLLBACK");
    expect(await rows()).toEqual([]);

    await app.query("BEGIN");
    await app.query("INSERT INTO invoices VALUES ('in_2', true)");
    const committed = await outbox.publish(app, {
      tenant_id: tenant,
      type: "invoice.paid",
      data: { invoice: "in_2", amount: 4200 },
      idempotency_key: "in_2-paid",
    });
    expect(committed.id).toMatch(/^evt_[0-9A-HJKMNP-TV-Z]{26}$/);
    // Inside the transaction: exactly one row, its own; nobody else (hookd's relay included) sees it before COMMIT.
    const { rows: own } = await app.query("SELECT id, tenant_id, type, data, idempotency_key FROM hookd_outbox");
    expect(own).toEqual([
      { id: committed.id, tenant_id: tenant, type: "invoice.paid", data: { invoice: "in_2", amount: 4200 }, idempotency_key: "in_2-paid" },
    ]);
    expect(await rows()).toEqual([]);
    await app.query("COMMIT");

    // hookd relays the one row into one event, delivers it once, and deletes the row.
    await receiver.waitFor(1);
    await eventually(async () => expect(await rows()).toEqual([]));
    const event = await h.api.expectGet(`/v1/tenants/${tenant}/events/${committed.id}`);
    expect(event).toMatchObject({ id: committed.id, type: "invoice.paid", data: { invoice: "in_2", amount: 4200 } });
    expect(event.deliveries).toHaveLength(1);
    expect(event.deliveries[0].endpoint_id).toBe(endpoint.id);
    expect((await h.api.get(`/v1/tenants/${tenant}/events/${rolledBack.id}`)).status).toBe(404);
    expect(await h.api.deliveriesOf(tenant)).toHaveLength(1);
    expect(receiver.received.map((r) => r.headers["webhook-id"])).toEqual([committed.id]);
    expect(JSON.parse(receiver.received[0]!.body)).toMatchObject({ type: "invoice.paid", data: { invoice: "in_2", amount: 4200 } });
  });

  it("binds a tenant with createOutbox, and refuses what hookd would refuse before writing anything", async () => {
    const tenant = await h.tenant();
    const acme = createOutbox({ tenant_id: tenant });
    const app = await producer.client();
    await app.query("BEGIN");
    const bad = [
      () => outbox.publish(app, { tenant_id: "not a tenant!", type: "a.b", data: {} }),
      () => outbox.publish(app, { tenant_id: tenant, type: "spaces are not allowed", data: {} }),
      () => outbox.publish(app, { tenant_id: tenant, type: "a.b", data: [] as unknown as Record<string, unknown> }),
      () => outbox.publish(app, { tenant_id: tenant, type: "a.b", data: {}, idempotency_key: "" }),
      () => createOutbox().publish(app, { type: "a.b", data: {} } as never),
    ];
    for (const attempt of bad) await expect(attempt()).rejects.toBeInstanceOf(OutboxEventError);
    const bound = await acme.publish(app, { type: "user.created", data: { user: 7 } });
    const { rows: own } = await app.query("SELECT id, tenant_id, type FROM hookd_outbox");
    expect(own).toEqual([{ id: bound.id, tenant_id: tenant, type: "user.created" }]);
    await app.query("COMMIT");
    await eventually(async () => expect((await h.api.get(`/v1/tenants/${tenant}/events/${bound.id}`)).status).toBe(200));
  });

  it("writes to a schema-qualified table and refuses a table name that is not one", async () => {
    expect(() => createOutbox({ table: "hookd_outbox; DROP TABLE x" })).toThrow(OutboxEventError);
    const app = await producer.client();
    await app.query("CREATE SCHEMA billing");
    await app.query("CREATE TABLE billing.hookd_outbox (LIKE public.hookd_outbox INCLUDING ALL)");
    const { id } = await createOutbox({ table: "billing.hookd_outbox" }).publish(app, { tenant_id: "t1", type: "x.y", data: {} });
    const { rows: found } = await app.query("SELECT id FROM billing.hookd_outbox");
    expect(found).toEqual([{ id }]);
  });
});
