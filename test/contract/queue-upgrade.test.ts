/**
 * Upgrading in place: a database as the previous schema (migration 13, deliveries leased row by row) left it, with
 * deliveries in every state and their attempt history, migrated to the endpoint-scheduled queue (000014) on both
 * stores. Every delivery keeps its status, attempt count, last outcome and attempts; the dead-letter list, the
 * failed list and the pending list come out as before; and the queue then hands out exactly the work the old one
 * would have: due first attempts, due retries and replays (also one leased by a worker that was running during the
 * upgrade), not a retry scheduled for later, nothing of a disabled endpoint, with the attempt numbers continuing.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import pg from "pg";
import { afterEach, describe, expect, it } from "vitest";
import { newDeliveryId } from "../../src/domain/ids.ts";
import { openPostgresStore } from "../../src/store/postgres/postgres-store.ts";
import { migratePostgres } from "../../src/store/postgres/migrate.ts";
import { migrateSqlite } from "../../src/store/sqlite/open-database.ts";
import { SqliteStore } from "../../src/store/sqlite/sqlite-store.ts";
import type { Store } from "../../src/store/store.ts";
import { adminQuery, urlForDatabase } from "../support/postgres.ts";
import { STORE_KINDS, type StoreKind } from "../support/stores.ts";
import { attemptRecord, claimDue, event, ingestRequest, recordAttempts, T0 } from "./fixtures.ts";

/** The last version of the previous queue design. */
const OLD_SCHEMA = 13;
const HOUR = 3_600_000;

/** Runs SQL with `?` placeholders on the old database, whichever store it is. */
interface OldDatabase {
  url: string;
  run(sql: string, params: unknown[]): Promise<void>;
  bool(b: boolean): unknown;
  close(): Promise<void>;
  destroy(): Promise<void>;
}

async function oldDatabase(kind: StoreKind): Promise<OldDatabase> {
  if (kind === "sqlite") {
    const dir = mkdtempSync(join(tmpdir(), "hookd-upgrade-"));
    const file = join(dir, "hookd.db");
    const db = new Database(file);
    db.pragma("journal_mode = WAL");
    migrateSqlite(db, OLD_SCHEMA);
    return {
      url: `sqlite:${file}`,
      run: async (sql, params) => void db.prepare(sql).run(...params),
      bool: (b) => (b ? 1 : 0),
      close: async () => void db.close(),
      destroy: async () => rmSync(dir, { recursive: true, force: true }),
    };
  }
  const name = `hookd_up_${Math.random().toString(16).slice(2, 10)}`;
  await adminQuery(`CREATE DATABASE ${name}`);
  const url = urlForDatabase(name);
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  await migratePostgres(pool, OLD_SCHEMA);
  let closed = false;
  return {
    url,
    run: async (sql, params) => {
      let n = 0;
      await pool.query(
        sql.replace(/\?/g, () => `$${++n}`),
        params,
      );
    },
    bool: (b) => b,
    close: async () => {
      if (!closed) await pool.end();
      closed = true;
    },
    destroy: async () => {
      if (!closed) await pool.end();
      closed = true;
      await adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    },
  };
}

interface OldDelivery {
  key: string;
  endpoint: "ep_live" | "ep_off";
  status: "pending" | "failed" | "succeeded" | "dead";
  attempts: number;
  cycleAttempts?: number;
  nextAttemptAt: number | null;
  leasedUntil?: number;
  lastStatusCode?: number;
}

/** The old world: one tenant, a live endpoint with deliveries in every state, a disabled one with a pending one. */
const OLD: OldDelivery[] = [
  { key: "fresh", endpoint: "ep_live", status: "pending", attempts: 0, nextAttemptAt: T0 },
  { key: "done", endpoint: "ep_live", status: "succeeded", attempts: 1, nextAttemptAt: null, lastStatusCode: 200 },
  { key: "retry_due", endpoint: "ep_live", status: "failed", attempts: 2, cycleAttempts: 2, nextAttemptAt: T0 + 100, lastStatusCode: 503 },
  { key: "retry_later", endpoint: "ep_live", status: "failed", attempts: 1, cycleAttempts: 1, nextAttemptAt: T0 + HOUR, lastStatusCode: 500 },
  { key: "dead", endpoint: "ep_live", status: "dead", attempts: 3, nextAttemptAt: null, lastStatusCode: 500 },
  { key: "replayed", endpoint: "ep_live", status: "pending", attempts: 3, cycleAttempts: 0, nextAttemptAt: T0 + 50, lastStatusCode: 500 },
  { key: "leased", endpoint: "ep_live", status: "pending", attempts: 0, nextAttemptAt: T0 + 20_000, leasedUntil: T0 + 20_000 },
  { key: "paused", endpoint: "ep_off", status: "pending", attempts: 0, nextAttemptAt: T0 },
];

async function seedOldWorld(db: OldDatabase): Promise<Map<string, string>> {
  const json = (v: unknown) => JSON.stringify(v);
  await db.run("INSERT INTO tenants (id, name, metadata, created_at, updated_at) VALUES (?, ?, ?, ?, ?)", [
    "t1",
    "Tenant",
    json({}),
    T0,
    T0,
  ]);
  for (const [id, disabled] of [
    ["ep_live", false],
    ["ep_off", true],
    ["ep_idle", false],
  ] as const) {
    await db.run(
      `INSERT INTO endpoints (id, tenant_id, url, description, event_types, secret, headers, timeout_ms, disabled,
         metadata, created_at, updated_at)
       VALUES (?, 't1', ?, '', ?, 'whsec_c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0', ?, 15000, ?, ?, ?, ?)`,
      [id, `https://example.com/${id}`, json(["*"]), json({}), db.bool(disabled), json({}), T0, T0],
    );
    // The previous hookd wrote every endpoint's isolation state row with the endpoint.
    await db.run("INSERT INTO endpoint_state (endpoint_id, data, updated_at) VALUES (?, '{}', ?)", [id, T0]);
  }
  const ids = new Map<string, string>();
  for (const [i, d] of OLD.entries()) {
    const createdAt = T0 - 10_000 + i;
    const eventId = `evt_${d.key}`;
    const id = newDeliveryId(createdAt);
    ids.set(d.key, id);
    await db.run("INSERT INTO events (tenant_id, id, type, data, created_at) VALUES ('t1', ?, 'invoice.paid', ?, ?)", [
      eventId,
      json({ n: i }),
      createdAt,
    ]);
    await db.run(
      `INSERT INTO deliveries (id, tenant_id, event_id, endpoint_id, status, attempts, cycle_attempts, next_attempt_at,
         lease_token, locked_until, last_status_code, last_error, created_at, updated_at, event_type)
       VALUES (?, 't1', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'invoice.paid')`,
      [
        id,
        eventId,
        d.endpoint,
        d.status,
        d.attempts,
        d.cycleAttempts ?? d.attempts,
        d.nextAttemptAt,
        d.leasedUntil ? "lease-of-a-running-worker" : null,
        d.leasedUntil ?? null,
        d.lastStatusCode ?? null,
        d.lastStatusCode && d.lastStatusCode >= 300 ? `HTTP ${d.lastStatusCode}` : null,
        createdAt,
        createdAt + 1,
      ],
    );
    for (let a = 1; a <= d.attempts; a++) {
      const ok = d.status === "succeeded" && a === d.attempts;
      await db.run(
        `INSERT INTO attempts (id, delivery_id, attempt, started_at, duration_ms, status_code, response_body, error,
           error_class, outcome, timeout_ms)
         VALUES (?, ?, ?, ?, 12, ?, ?, ?, ?, ?, 15000)`,
        [
          `atm_${d.key}_${a}`,
          id,
          a,
          createdAt + a,
          ok ? 200 : (d.lastStatusCode ?? 500),
          `answer ${a}`,
          ok ? null : `HTTP ${d.lastStatusCode ?? 500}`,
          ok ? null : "http_status",
          ok ? "success" : d.status === "dead" && a === d.attempts ? "dead" : "retry",
        ],
      );
    }
  }
  return ids;
}

async function openUpgraded(kind: StoreKind, url: string): Promise<Store> {
  const store = kind === "sqlite" ? SqliteStore.open(url) : openPostgresStore({ url, poolSize: 4, onError: () => undefined });
  await store.migrate();
  return store;
}

describe.each(STORE_KINDS)("upgrading a %s database from the row-leasing queue", (kind) => {
  let db: OldDatabase | null = null;
  let store: Store | null = null;
  afterEach(async () => {
    await store?.close();
    await db?.destroy();
    store = null;
    db = null;
  });

  it("keeps every delivery with its history, and queues exactly the work that was due", async () => {
    db = await oldDatabase(kind);
    const ids = await seedOldWorld(db);
    await db.close();
    store = await openUpgraded(kind, db.url);
    const s = store;
    const id = (key: string) => ids.get(key)!;

    // Every delivery, as it was: status, attempts, last answer, and its attempt rows in order.
    for (const d of OLD) {
      const got = await s.getDelivery("t1", id(d.key));
      expect(got, d.key).not.toBeNull();
      expect(got!.status, d.key).toBe(d.status);
      expect(got!.attempts, d.key).toBe(d.attempts);
      expect(got!.endpointId, d.key).toBe(d.endpoint);
      expect(got!.lastStatusCode ?? undefined, d.key).toBe(d.lastStatusCode);
      const attempts = await s.listAttempts(id(d.key));
      expect(
        attempts.map((a) => a.attempt),
        d.key,
      ).toEqual(Array.from({ length: d.attempts }, (_, i) => i + 1));
      expect(
        attempts.map((a) => a.responseBody),
        d.key,
      ).toEqual(Array.from({ length: d.attempts }, (_, i) => `answer ${i + 1}`));
    }

    // The lists by status: the dead-letter list, the failed list and the pending list.
    const list = async (status: "pending" | "failed" | "dead" | "succeeded") =>
      (await s.listDeliveries("t1", { statuses: [status] }, { limit: 100, after: null })).data.map((d) => d.id).sort();
    const keysOf = (status: OldDelivery["status"]) =>
      OLD.filter((d) => d.status === status)
        .map((d) => id(d.key))
        .sort();
    expect(await list("dead")).toEqual(keysOf("dead"));
    expect(await list("failed")).toEqual(keysOf("failed"));
    expect(await list("pending")).toEqual(keysOf("pending"));
    expect(await list("succeeded")).toEqual(keysOf("succeeded"));

    // The queue hands out what was due: the fresh one, the due retry, the replay, and the one a worker held while
    // the upgrade ran (its lease is gone with the old columns; sending it again is the at-least-once promise).
    const now = T0 + 200;
    const taken = await claimDue(s, now);
    expect(taken.map((t) => t.id).sort()).toEqual(["fresh", "retry_due", "replayed", "leased"].map(id).sort());
    const byKey = new Map(taken.map((t) => [t.id, t]));
    // Attempt numbers continue; a retry keeps its place in the schedule, a replay starts it over.
    expect(byKey.get(id("retry_due"))!.attempts).toBe(2);
    expect(byKey.get(id("retry_due"))!.cycleAttempts).toBe(2);
    expect(byKey.get(id("replayed"))!.attempts).toBe(3);
    expect(byKey.get(id("replayed"))!.cycleAttempts).toBe(0);
    expect(byKey.get(id("fresh"))!.attempts).toBe(0);
    await recordAttempts(taken.map((t) => attemptRecord(t, now + 10, { status: 200 })));
    for (const key of ["fresh", "retry_due", "replayed", "leased"]) {
      const d = await s.getDelivery("t1", id(key));
      expect(d!.status, key).toBe("succeeded");
      const attempts = await s.listAttempts(id(key));
      expect(attempts.at(-1)!.attempt, key).toBe(OLD.find((o) => o.key === key)!.attempts + 1);
    }

    // Nothing else is due now; the later retry comes when its time does.
    expect(await claimDue(s, now + 1_000, "worker-b")).toEqual([]);
    const later = await claimDue(s, T0 + HOUR + 1, "worker-c");
    expect(later.map((t) => t.id)).toEqual([id("retry_later")]);
    expect(later[0]!.attempts).toBe(1);
    await recordAttempts(later.map((t) => attemptRecord(t, T0 + HOUR + 1, { status: 200 })));

    // New events after the upgrade go to the live endpoints (after the old stream) and not to the disabled one.
    const ingested = await s.ingest(ingestRequest("t1", [event({ type: "invoice.paid", createdAt: T0 + HOUR + 2 })]));
    expect(ingested.kind).toBe("created");
    const fresh = await claimDue(s, T0 + HOUR + 3, "worker-d");
    expect(fresh.map((t) => t.endpointId).sort()).toEqual(["ep_idle", "ep_live"]);
    expect((await s.getDelivery("t1", id("paused")))!.status).toBe("pending");
  });
});
