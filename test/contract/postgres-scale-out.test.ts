/**
 * What only the shared-database shape has to prove: many processes migrating one empty database at once, and a
 * commit in one process waking workers in another through LISTEN/NOTIFY.
 */
import { randomBytes } from "node:crypto";
import pg from "pg";
import { afterEach, describe, expect, it } from "vitest";
import { openPostgresStore, type PostgresStore } from "../../src/store/postgres/postgres-store.ts";
import { adminQuery, cloneTestDatabase, urlForDatabase } from "../support/postgres.ts";
import { endpoint, event, ingestRequest, tenant } from "./fixtures.ts";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function open(url: string): PostgresStore {
  const store = openPostgresStore({ url, poolSize: 2, onError: () => undefined });
  cleanups.push(() => store.close());
  return store;
}

describe("Postgres scale-out", () => {
  it("lets concurrent migrators on an empty database collide cleanly: each version applied once", async () => {
    const name = `hookd_t_empty_${randomBytes(4).toString("hex")}`;
    await adminQuery(`CREATE DATABASE ${name}`);
    cleanups.push(() => adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    const url = urlForDatabase(name);
    const stores = Array.from({ length: 5 }, () => open(url));
    await Promise.all(stores.map((s) => s.migrate()));

    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const { rows } = await client.query("SELECT version, count(*)::int AS n FROM schema_migrations GROUP BY version");
      expect(rows.length).toBeGreaterThan(0);
      expect(rows.every((r) => r.n === 1)).toBe(true);
      const tables = await client.query("SELECT count(*)::int AS n FROM pg_tables WHERE tablename = 'deliveries'");
      expect(tables.rows[0].n).toBe(1);
    } finally {
      await client.end();
    }
  });

  it("wakes a worker in another process within milliseconds of an ingest commit", async () => {
    const db = await cloneTestDatabase();
    cleanups.push(db.drop);
    const api = open(db.url);
    const worker = open(db.url);
    await api.insertTenant(tenant("acme"));
    await api.insertEndpoint(endpoint("acme"));

    let wakes = 0;
    let lastWake = 0;
    worker.subscribeWork(() => {
      wakes++;
      lastWake = Date.now();
    });
    const deadline = Date.now() + 5_000;
    while (wakes === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(wakes).toBeGreaterThan(0); // the listener's first connect wakes once, to catch up

    const before = wakes;
    const committedAt = Date.now();
    await api.ingest(ingestRequest("acme", [event()]));
    while (wakes === before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 2));
    expect(wakes).toBeGreaterThan(before);
    expect(lastWake - committedAt).toBeLessThan(1_000);
  });
});
