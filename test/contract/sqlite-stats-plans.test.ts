/**
 * The SQLite side of test/contract/postgres-stats-plans.test.ts: every stats statement the SQLite store runs is a
 * search on the index meant for it, never a scan of the aggregates or the deliveries (EXPLAIN QUERY PLAN on a
 * migrated database; SQLite plans these without statistics, so no seeding is needed).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  backlogSql,
  DELETE_STATS_SQL,
  ENDPOINT_STATS_SQL,
  TENANT_STATS_SQL,
} from "../../src/store/sqlite/attempt-stats.ts";
import { migrateSqlite, openSqlite, type SqliteDatabase } from "../../src/store/sqlite/open-database.ts";

describe("SQLite stats plans", () => {
  let dir: string;
  let db: SqliteDatabase;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "hookd-plans-"));
    db = openSqlite(join(dir, "hookd.db"));
    migrateSqlite(db);
  });

  afterAll(() => {
    db?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function plan(sql: string): string {
    const params = Array.from({ length: (sql.match(/\?/g) ?? []).length }, () => "x");
    const stmt = db.prepare(`EXPLAIN QUERY PLAN ${sql}`);
    const rows = (sql.includes("@id") ? stmt.all({ id: "x" }) : stmt.all(...params)) as { detail: string }[];
    return rows.map((r) => r.detail).join(" | ");
  }

  it.each([
    ["one endpoint's stats", ENDPOINT_STATS_SQL, "SEARCH endpoint_attempt_stats USING PRIMARY KEY (endpoint_id=?"],
    ["a tenant's stats", TENANT_STATS_SQL, "SEARCH endpoint_attempt_stats USING INDEX endpoint_attempt_stats_by_tenant"],
    ["an endpoint's backlog", backlogSql("endpoint"), "SEARCH d USING INDEX deliveries_by_endpoint_seq (endpoint_id=? AND seq>?)"],
    ["a tenant's backlog", backlogSql("tenant"), "SEARCH j USING INDEX delivery_jobs_due (endpoint_id=?)"],
    ["the retention batch", DELETE_STATS_SQL, "USING COVERING INDEX endpoint_attempt_stats_by_minute (minute<?)"],
  ])("answers %s from its index", (_name, sql, expected) => {
    const p = plan(sql);
    expect(p).toContain(expected);
    expect(p).not.toMatch(/SCAN (endpoint_attempt_stats|deliveries)\b/);
  });
});
