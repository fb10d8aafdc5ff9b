/**
 * A table's rows as a backup or a `pg_dump` would see them: a plain `SELECT *` through a second connection, rendered
 * as text, so a test can check that some value appears nowhere in them.
 */
import Database from "better-sqlite3";
import pg from "pg";
import { sqlitePathFromUrl } from "../../src/store/sqlite/open-database.ts";

export async function dumpTable(databaseUrl: string, table: string): Promise<string> {
  if (!/^[a-z_]+$/.test(table)) throw new Error(`not a table name: ${table}`);
  if (databaseUrl.startsWith("sqlite:")) {
    const db = new Database(sqlitePathFromUrl(databaseUrl), { readonly: true, fileMustExist: true });
    try {
      return JSON.stringify(db.prepare(`SELECT * FROM ${table}`).all());
    } finally {
      db.close();
    }
  }
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    return JSON.stringify((await client.query(`SELECT * FROM ${table}`)).rows);
  } finally {
    await client.end();
  }
}
