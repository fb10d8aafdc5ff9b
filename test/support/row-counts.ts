/**
 * Counts the rows of the tables that only API requests can add to (not attempts or operational events, which the
 * worker writes in the background), straight from the database through a second connection. The fuzz suite uses it
 * to check that a refused request left nothing behind.
 */
import Database from "better-sqlite3";
import pg from "pg";
import { sqlitePathFromUrl } from "../../src/store/sqlite/open-database.ts";

const TABLES = [
  "tenants",
  "api_keys",
  "endpoints",
  "events",
  "deliveries",
  "idempotency_keys",
  "audit_log",
  "portal_sessions",
  "portal_settings",
] as const;
const QUERY = `SELECT ${TABLES.map((t) => `(SELECT count(*) FROM ${t}) AS ${t}`).join(", ")}`;

export type RowCounts = Record<(typeof TABLES)[number], number>;

export interface RowCounter {
  counts(): Promise<RowCounts>;
  close(): Promise<void>;
}

export async function openRowCounter(databaseUrl: string): Promise<RowCounter> {
  if (databaseUrl.startsWith("sqlite:")) {
    const db = new Database(sqlitePathFromUrl(databaseUrl), { readonly: true, fileMustExist: true });
    const stmt = db.prepare(QUERY);
    return {
      counts: async () => stmt.get() as RowCounts,
      close: async () => {
        db.close();
      },
    };
  }
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  return {
    counts: async () => {
      const { rows } = await client.query<Record<string, string>>(QUERY);
      return Object.fromEntries(Object.entries(rows[0]!).map(([k, v]) => [k, Number(v)])) as RowCounts;
    },
    close: () => client.end(),
  };
}
