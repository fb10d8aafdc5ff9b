/**
 * Installs the outbox table (ddl.ts) in a producer's database, in one transaction. Concurrent installs serialise on
 * an advisory lock, since `CREATE ... IF NOT EXISTS` alone can still collide on the catalog.
 */
import pg from "pg";
import { OUTBOX_DDL } from "./ddl.ts";

/** Arbitrary but fixed; distinct from hookd's own migration lock. */
const INSTALL_LOCK_KEY = 7_313_604_233;

export async function installOutbox(databaseUrl: string): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query("BEGIN");
    await client.query("SELECT pg_advisory_xact_lock($1)", [INSTALL_LOCK_KEY]);
    await client.query(OUTBOX_DDL);
    await client.query("COMMIT");
  } catch (err) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw err;
  } finally {
    await client.end();
  }
}
