/**
 * Runs once before all test files: prepares the migrated Postgres template that each Postgres-backed file clones,
 * under a name unique to this run (handed to the test files through Vitest's provide/inject), and drops it at the
 * end. An unreachable server fails the whole run with instructions (see postgres.ts); nothing is skipped silently.
 */
import type { TestProject } from "vitest/node";
import { openPostgresStore } from "../../src/store/postgres/postgres-store.ts";
import { adminQuery, newTemplateName, urlForDatabase } from "./postgres.ts";

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const template = newTemplateName();
  await adminQuery(`CREATE DATABASE ${template}`);
  const store = openPostgresStore({ url: urlForDatabase(template), poolSize: 2, onError: () => undefined });
  try {
    await store.migrate();
  } finally {
    await store.close();
  }
  project.provide("hookdTemplateDb", template);
  return () => adminQuery(`DROP DATABASE IF EXISTS ${template} WITH (FORCE)`);
}
