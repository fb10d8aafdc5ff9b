/**
 * Postgres for tests: a migrated template database is made once per run (global-setup.ts), and every test file
 * clones its own database from it, so files run in parallel without sharing rows and without re-running migrations.
 * The template's name is unique to the run, so two test runs on one server never drop each other's template.
 * When the server is unreachable this fails loudly with the fix, never skips.
 */
import { randomBytes } from "node:crypto";
import pg from "pg";

export const TEST_DATABASE_URL = process.env.HOOKD_TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
declare module "vitest" {
  export interface ProvidedContext {
    hookdTemplateDb: string;
  }
}

export function newTemplateName(): string {
  return `hookd_tpl_${randomBytes(6).toString("hex")}`;
}

export function urlForDatabase(name: string): string {
  const url = new URL(TEST_DATABASE_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

export async function adminQuery(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL, connectionTimeoutMillis: 5_000 });
  try {
    await client.connect();
  } catch (err) {
    throw new Error(
      `PostgreSQL is not reachable at ${TEST_DATABASE_URL} (${(err as Error).message}). The Postgres suites need a ` +
        "real server: start the local one (pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start) " +
        "or point HOOKD_TEST_DATABASE_URL at one (trust or password auth, a user allowed to CREATE DATABASE).",
    );
  }
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** A fresh, migrated database for one test file; drop it with the returned function. */
export async function cloneTestDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  // Imported here, not at the top: chaos/ uses this module outside the test runner.
  const { inject } = await import("vitest");
  const template = inject("hookdTemplateDb");
  const name = `hookd_t_${randomBytes(6).toString("hex")}`;
  // Two CREATE DATABASE ... TEMPLATE at the same instant can collide on the template; retry briefly.
  for (let attempt = 1; ; attempt++) {
    try {
      await adminQuery(`CREATE DATABASE ${name} TEMPLATE ${template}`);
      break;
    } catch (err) {
      if (attempt >= 20 || !/being accessed by other users/.test((err as Error).message)) throw err;
      await new Promise((r) => setTimeout(r, 50 * attempt));
    }
  }
  return {
    url: urlForDatabase(name),
    drop: () => adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
  };
}
