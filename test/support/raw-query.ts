/**
 * Reads rows straight from a test database through a second connection, for tests that count what a store left
 * behind (no store method lists every table). `?` placeholders on both stores.
 */
import Database from "better-sqlite3";
import pg from "pg";
import { sqlitePathFromUrl } from "../../src/store/sqlite/open-database.ts";

export async function rawQuery<T = Record<string, unknown>>(databaseUrl: string, sql: string, params: unknown[] = []): Promise<T[]> {
  if (databaseUrl.startsWith("sqlite:")) {
    const db = new Database(sqlitePathFromUrl(databaseUrl), { readonly: true, fileMustExist: true });
    try {
      return db.prepare(sql).all(...params) as T[];
    } finally {
      db.close();
    }
  }
  let i = 0;
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    return (await client.query(sql.replace(/\?/g, () => `$${++i}`), params)).rows as T[];
  } finally {
    await client.end();
  }
}

/** `SELECT count(*) ...` as a number on both stores. */
export async function rawCount(databaseUrl: string, sql: string, params: unknown[] = []): Promise<number> {
  const [row] = await rawQuery<{ n: number | string }>(databaseUrl, sql, params);
  return Number(row?.n ?? 0);
}
