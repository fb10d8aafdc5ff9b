/**
 * Runs once before all test files: prepares the migrated Postgres template that each Postgres-backed file clones.
 * An unreachable server fails the whole run with instructions (see postgres.ts); nothing is skipped silently.
 */
import { PostgresStore } from "../../src/store/postgres/postgres-store.ts";
import { adminQuery, TEMPLATE_DB, urlForDatabase } from "./postgres.ts";

export default async function setup(): Promise<void> {
  await adminQuery(`DROP DATABASE IF EXISTS ${TEMPLATE_DB} WITH (FORCE)`);
  await adminQuery(`CREATE DATABASE ${TEMPLATE_DB}`);
  const store = new PostgresStore({ url: urlForDatabase(TEMPLATE_DB), poolSize: 2, onError: () => undefined });
  try {
    await store.migrate();
  } finally {
    await store.close();
  }
}
