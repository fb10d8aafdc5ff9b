/**
 * Owns the backlog run: does the delivery rate hold when millions of deliveries are waiting? On a fresh database it
 * lets hookd create the schema, the tenant and the endpoint (pointing at the sink) through its own API, stops it,
 * preloads `size` events with one pending delivery each (the endpoint's next stream positions, the endpoint due now)
 * straight into the tables, starts
 * hookd again and measures the delivery rate over the first `window` deliveries the sink receives (or over those that
 * arrived within BENCH_RUN_MAX_S, for a system too slow to deliver the window in that time).
 *   SQLite:     one prepared statement per table, all rows in one transaction, then a WAL checkpoint.
 *   PostgreSQL: multi-row INSERT ... SELECT FROM generate_series in chunks, then ANALYZE (as autovacuum would).
 */
import { randomBytes } from "node:crypto";
import Database from "better-sqlite3";
import pg from "pg";
import { generateSecret } from "../src/signing/secret.ts";
import type { BenchConfig } from "./config.ts";
import { HookdApi } from "./hookd-api.ts";
import { HookdProcess } from "./hookd-process.ts";
import { drain } from "./measure.ts";
import { hookdEnv, stopAndCollect } from "./hookd-runner.ts";
import { EVENT_TYPE, eventDataJson } from "./payload.ts";
import { RssSampler } from "./rss.ts";
import type { Sink } from "./sink-client.ts";
import { createStore, sqlitePath, type StoreKind } from "./stores.ts";

export interface BacklogRun {
  size: number;
  window: number;
  /** Deliveries per second over the first `window` deliveries. */
  rate: number;
  /** Deliveries per second over the first `sameWindow` deliveries (the small backlog's whole size). */
  rateSameWindow: number;
  /** The window cut into consecutive slices of `sameWindow` deliveries: the rate in each (does it decay?). */
  sliceRates: number[];
  preloadS: number;
  /** From spawning hookd to the first delivery at the sink. */
  firstDeliveryMs: number;
  rssMb: number;
  stalled: boolean;
  /** The window was cut short at BENCH_RUN_MAX_S: the rates are over the deliveries that arrived by then. */
  cutByTime: boolean;
  problems: string[];
}

const TENANT = "bench";

async function preloadSqlite(path: string, endpointId: string, size: number, now: number): Promise<void> {
  const db = new Database(path);
  try {
    db.pragma("journal_mode = WAL");
    db.pragma("synchronous = OFF");
    const tag = randomBytes(3).toString("hex");
    const insertEvent = db.prepare("INSERT INTO events (tenant_id, id, type, data, created_at) VALUES (?, ?, ?, ?, ?)");
    // As ingest writes them: each delivery takes the endpoint's next stream position, and the endpoint's scheduler
    // row says how far the stream goes and that it is due.
    const insertDelivery = db.prepare(
      `INSERT INTO deliveries (id, tenant_id, event_id, event_type, endpoint_id, seq, status, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, 'pending', ?, ?)`,
    );
    db.transaction(() => {
      const { next_seq: base } = db.prepare("SELECT next_seq FROM endpoint_queue WHERE endpoint_id = ?").get(endpointId) as {
        next_seq: number;
      };
      for (let i = 0; i < size; i++) {
        const n = String(i).padStart(8, "0");
        const eventId = `evt_bl${tag}${n}`;
        insertEvent.run(TENANT, eventId, EVENT_TYPE, eventDataJson(i), now);
        insertDelivery.run(`dlv_bl${tag}${n}`, TENANT, eventId, EVENT_TYPE, endpointId, base + i + 1, now, now);
      }
      db.prepare("UPDATE endpoint_queue SET next_seq = ?, next_due_at = ? WHERE endpoint_id = ?").run(base + size, now, endpointId);
    })();
    db.pragma("wal_checkpoint(TRUNCATE)");
  } finally {
    db.close();
  }
}

async function preloadPostgres(url: string, endpointId: string, size: number, now: number): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query("SET synchronous_commit = off");
    const tag = randomBytes(3).toString("hex");
    // The data text with its sequence number filled in per row: the template has `"seq":0,` exactly once.
    const template = eventDataJson(0);
    if (!template.includes('"seq":0,')) throw new Error("backlog: event data template has no seq field");
    const chunk = 200_000;
    // As ingest writes them: each delivery takes the endpoint's next stream position, and the endpoint's scheduler
    // row says how far the stream goes and that it is due.
    const { rows } = await client.query<{ next_seq: string }>("SELECT next_seq FROM endpoint_queue WHERE endpoint_id = $1", [
      endpointId,
    ]);
    const base = Number(rows[0]!.next_seq);
    for (let from = 0; from < size; from += chunk) {
      const to = Math.min(size, from + chunk) - 1;
      await client.query(
        `INSERT INTO events (tenant_id, id, type, data, created_at)
         SELECT $1, 'evt_bl' || $2 || lpad(g::text, 8, '0'), $3, replace($4, '"seq":0,', '"seq":' || g || ','), $5
         FROM generate_series($6::int, $7::int) AS g`,
        [TENANT, tag, EVENT_TYPE, template, now, from, to],
      );
      await client.query(
        `INSERT INTO deliveries (id, tenant_id, event_id, event_type, endpoint_id, seq, status, created_at, updated_at)
         SELECT 'dlv_bl' || $2 || lpad(g::text, 8, '0'), $1, 'evt_bl' || $2 || lpad(g::text, 8, '0'), $7, $3,
           $8::bigint + g + 1, 'pending', $4, $4
         FROM generate_series($5::int, $6::int) AS g`,
        [TENANT, tag, endpointId, now, from, to, EVENT_TYPE, base],
      );
    }
    await client.query("UPDATE endpoint_queue SET next_seq = $1, next_due_at = $2 WHERE endpoint_id = $3", [base + size, now, endpointId]);
    await client.query("ANALYZE events");
    await client.query("ANALYZE deliveries");
  } finally {
    await client.end();
  }
}

export async function runBacklog(
  kind: StoreKind,
  size: number,
  cfg: BenchConfig,
  sink: Sink,
  log: (m: string) => void,
): Promise<BacklogRun> {
  const window = Math.min(size, cfg.backlogWindow);
  const sameWindow = Math.min(size, cfg.backlogSmall);
  const out: BacklogRun = {
    size,
    window,
    rate: Number.NaN,
    rateSameWindow: Number.NaN,
    sliceRates: [],
    preloadS: Number.NaN,
    firstDeliveryMs: Number.NaN,
    rssMb: Number.NaN,
    stalled: false,
    cutByTime: false,
    problems: [],
  };
  const store = await createStore(kind, cfg.pgAdminUrl);
  let procs: HookdProcess[] = [];
  const rss = new RssSampler(() => procs.map((p) => p.pid));
  try {
    const { env, adminKey } = await hookdEnv(store.url);
    const secret = generateSecret();
    // 1. Schema, tenant and endpoint exactly as hookd writes them, through its API.
    const setup = await HookdProcess.start("hookd-setup", env);
    const api = new HookdApi(setup.url, adminKey, TENANT, 2);
    let endpointId: string;
    try {
      await api.createTenant("Benchmark backlog");
      endpointId = await api.createEndpoint(sink.hookUrl, secret);
    } finally {
      await api.close();
      out.problems.push(...(await stopAndCollect([setup])));
    }
    // 2. The backlog, straight into the tables.
    const t0 = performance.now();
    const now = Date.now();
    if (kind === "sqlite") await preloadSqlite(sqlitePath(store.url), endpointId, size, now);
    else await preloadPostgres(store.url, endpointId, size, now);
    out.preloadS = (performance.now() - t0) / 1000;
    log(`  preloaded ${size} pending deliveries in ${out.preloadS.toFixed(1)} s`);
    // 3. hookd again, on the backlog; measure the first `window` deliveries.
    await sink.reset(secret);
    const spawnedAt = Date.now();
    procs = [await HookdProcess.start("hookd", env)];
    rss.start();
    const hookd = procs[0];
    // A slow system is measured over what it delivers in BENCH_RUN_MAX_S (after a few seconds to start up).
    const deadline = spawnedAt + (cfg.runMaxS + 10) * 1000;
    const gaveUp = await drain(sink, window, cfg.stallMs, log, () => hookd?.unexpectedExit() ?? null, deadline);
    out.cutByTime = gaveUp && Date.now() > deadline;
    out.stalled = gaveUp && !out.cutByTime;
    if (out.stalled) out.problems.push(`backlog ${size}: gave up waiting for the first ${window} deliveries`);
    rss.sample();
    const { times } = await sink.times();
    const sorted = Float64Array.from(times.values()).sort();
    const k = Math.min(window, sorted.length);
    if (out.cutByTime) out.window = k;
    const first = sorted[0] ?? Number.NaN;
    const kth = sorted[k - 1] ?? Number.NaN;
    out.rate = k > 1 ? ((k - 1) / (kth - first)) * 1000 : Number.NaN;
    const j = Math.min(sameWindow, sorted.length);
    out.rateSameWindow = j > 1 ? ((j - 1) / ((sorted[j - 1] ?? Number.NaN) - first)) * 1000 : Number.NaN;
    for (let from = 0; from + 1 < k; from += sameWindow) {
      const to = Math.min(k, from + sameWindow) - 1;
      const span = (sorted[to] ?? Number.NaN) - (sorted[from] ?? Number.NaN);
      out.sliceRates.push(to > from && span > 0 ? ((to - from) / span) * 1000 : Number.NaN);
    }
    out.firstDeliveryMs = first - spawnedAt;
    log(
      `  backlog ${size}: ${Math.round(out.rate)} deliveries/s over the first ${k}, ` +
        `${Math.round(out.rateSameWindow)}/s over the first ${j} (first delivery ${Math.round(out.firstDeliveryMs)} ms after spawning hookd)` +
        (out.sliceRates.length > 1 ? `; per ${sameWindow}: ${out.sliceRates.map((r) => Math.round(r)).join(", ")}` : "") +
        (out.cutByTime ? ` (cut at BENCH_RUN_MAX_S=${cfg.runMaxS} s after start-up)` : ""),
    );
  } catch (err) {
    out.problems.push(`backlog ${size} failed: ${err instanceof Error ? err.message : String(err)}`);
  } finally {
    rss.stop();
    out.rssMb = rss.peakMb;
    out.problems.push(...(await stopAndCollect(procs)));
    await store.drop();
  }
  for (const p of out.problems) log(`  !! ${p}`);
  return out;
}
