/**
 * Applies the numbered migrations under an advisory lock, so any number of hookd processes starting together against
 * one database serialise here: the first applies what is missing, the rest find the ledger complete.
 */
import type pg from "pg";
import { loadMigrations } from "../migration-files.ts";
import { withClient } from "./pool.ts";

/** Arbitrary but fixed: the advisory lock key every hookd migrator agrees on. */
const MIGRATION_LOCK_KEY = 7_313_604_231;

/** @param upTo apply versions up to this one only (the upgrade tests build a database as an older hookd left it). */
export async function migratePostgres(pool: pg.Pool, upTo = Number.POSITIVE_INFINITY): Promise<void> {
  const migrations = loadMigrations(new URL("./migrations/", import.meta.url)).filter((m) => m.version <= upTo);
  await withClient(pool, async (client) => {
    try {
      await client.query("SELECT pg_advisory_lock($1)", [MIGRATION_LOCK_KEY]);
      await client.query(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at bigint NOT NULL)",
      );
      const { rows } = await client.query<{ version: number }>("SELECT version FROM schema_migrations");
      const applied = new Set(rows.map((r) => r.version));
      for (const m of migrations) {
        if (applied.has(m.version)) continue;
        await client.query("BEGIN");
        try {
          await client.query(m.sql);
          await client.query("INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)", [
            m.version,
            m.name,
            Date.now(),
          ]);
          await client.query("COMMIT");
        } catch (err) {
          await client.query("ROLLBACK").catch(() => undefined);
          throw err;
        }
      }
    } finally {
      await client.query("SELECT pg_advisory_unlock($1)", [MIGRATION_LOCK_KEY]).catch(() => undefined);
    }
  });
}
