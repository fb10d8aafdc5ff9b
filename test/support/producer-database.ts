/**
 * A producer application's own PostgreSQL database for the outbox tests: empty (no hookd tables), on the test server,
 * with a unique name, dropped afterwards. hookd's own database is separate (test/support/stores.ts), as it would be
 * in production.
 */
import { randomBytes } from "node:crypto";
import pg from "pg";
import { adminQuery, urlForDatabase } from "./postgres.ts";

export interface ProducerDatabase {
  url: string;
  /** A client for the test to act as the producer app; closed by drop(). */
  client(): Promise<pg.Client>;
  /** One statement on a fresh connection. */
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values?: unknown[]): Promise<R[]>;
  drop(): Promise<void>;
}

export async function createProducerDatabase(): Promise<ProducerDatabase> {
  const name = `producer_${randomBytes(6).toString("hex")}`;
  await adminQuery(`CREATE DATABASE ${name}`);
  const url = urlForDatabase(name);
  const clients: pg.Client[] = [];
  const connect = async () => {
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    clients.push(c);
    return c;
  };
  return {
    url,
    client: connect,
    async query(text, values) {
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      try {
        return (await c.query(text, values)).rows;
      } finally {
        await c.end();
      }
    },
    async drop() {
      for (const c of clients.splice(0)) await c.end().catch(() => undefined);
      await adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    },
  };
}
