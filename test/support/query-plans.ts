/**
 * For EXPLAIN-based plan tests on PostgreSQL: a fresh migrated database with a plain client for seeding it, and the
 * plan tree flattened so a test can look for the scans of one table.
 */
import pg from "pg";
import { openPostgresStore } from "../../src/store/postgres/postgres-store.ts";
import { cloneTestDatabase } from "./postgres.ts";

export interface PlanNode {
  "Node Type": string;
  "Relation Name"?: string;
  "Index Name"?: string;
  Plans?: PlanNode[];
}

/** Every node of an EXPLAIN (FORMAT JSON) answer, root first. */
export function planNodes(explainRows: Record<string, unknown>[]): PlanNode[] {
  const flatten = (plan: PlanNode): PlanNode[] => [plan, ...(plan.Plans ?? []).flatMap(flatten)];
  return flatten((explainRows[0]!["QUERY PLAN"] as { Plan: PlanNode }[])[0]!.Plan);
}

/** A migrated database and a connected client; `close` ends the client and drops the database. */
export async function openPlanDatabase(): Promise<{ client: pg.Client; close: () => Promise<void> }> {
  const db = await cloneTestDatabase();
  const store = openPostgresStore({ url: db.url, poolSize: 1, onError: () => undefined });
  await store.migrate();
  await store.close();
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  return {
    client,
    close: async () => {
      await client.end();
      await db.drop();
    },
  };
}
