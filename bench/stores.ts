/**
 * Owns the databases the bench runs hookd on: a fresh SQLite file in a temp directory, or a fresh PostgreSQL database
 * (CREATE DATABASE hookd_bench_<random>, dropped afterwards), plus a small query helper both understand, used for the
 * after-run check that every delivery and attempt was logged (hookd-db-check.ts).
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import pg from "pg";

export type StoreKind = "sqlite" | "postgres";

export interface BenchStore {
  kind: StoreKind;
  /** The PostgreSQL database's name (the SQLite file's path for SQLite). */
  name: string;
  /** HOOKD_DATABASE_URL for hookd. */
  url: string;
  /** One-row query returning numbers, e.g. counts. */
  queryNumbers(sql: string): Promise<Record<string, number>>;
  drop(): Promise<void>;
}

export function postgresUrlFor(adminUrl: string, database: string): string {
  const u = new URL(adminUrl);
  u.pathname = `/${database}`;
  return u.toString();
}

export async function adminQuery(adminUrl: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** `prefix` names the fresh PostgreSQL database (`<prefix>_<random>`), so a leftover one says what made it. */
export async function createStore(kind: StoreKind, pgAdminUrl: string, prefix = "hookd_bench"): Promise<BenchStore> {
  if (kind === "sqlite") {
    const dir = mkdtempSync(join(tmpdir(), "hookd-bench-"));
    const file = join(dir, "hookd.db");
    return {
      kind,
      name: file,
      url: `sqlite:${file}`,
      queryNumbers: async (sql) => {
        const db = new Database(file, { readonly: true });
        try {
          return db.prepare(sql).get() as Record<string, number>;
        } finally {
          db.close();
        }
      },
      drop: async () => rmSync(dir, { recursive: true, force: true }),
    };
  }
  const name = `${prefix}_${randomBytes(4).toString("hex")}`;
  await adminQuery(pgAdminUrl, `CREATE DATABASE ${name}`);
  const url = postgresUrlFor(pgAdminUrl, name);
  return {
    kind,
    name,
    url,
    queryNumbers: async (sql) => {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        const { rows } = await client.query(sql);
        const row = (rows[0] ?? {}) as Record<string, unknown>;
        return Object.fromEntries(Object.entries(row).map(([k, v]) => [k, Number(v)]));
      } finally {
        await client.end();
      }
    },
    drop: () => adminQuery(pgAdminUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
  };
}

/** File path of a sqlite: URL. */
export function sqlitePath(url: string): string {
  return url.slice("sqlite:".length);
}
