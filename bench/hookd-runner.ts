/**
 * Owns running hookd itself under load, in one of three shapes on a fresh database each time:
 *   sqlite             one embedded `serve` process on a new SQLite file
 *   postgres           one `serve` process on a new PostgreSQL database
 *   postgres_scaleout  one `serve --role api` and two `serve --role worker` processes on a new PostgreSQL database
 * It creates a tenant and one endpoint with default settings pointing at the sink, runs the series (series.ts: warm-up,
 * single, batch, paced; on PostgreSQL with the cost of the single and batch runs), samples the summed RSS of the hookd
 * processes throughout, and finally checks in the database that every delivery succeeded and every attempt was
 * logged (hookd-db-check.ts).
 */
import { randomBytes } from "node:crypto";
import { generateSecret } from "../src/signing/secret.ts";
import type { BenchConfig } from "./config.ts";
import { CostMeter } from "./cost.ts";
import { HookdApi } from "./hookd-api.ts";
import { checkDeliveriesLogged, type DbCheck } from "./hookd-db-check.ts";
import { freePort, HookdProcess } from "./hookd-process.ts";
import type { RunMetrics } from "./measure.ts";
import type { PgMeter } from "./pg-meter.ts";
import { RssSampler } from "./rss.ts";
import { peakDeliverRps, runNamed, runSeries, type SeriesOutput, warmupMissing } from "./series.ts";
import type { Sink } from "./sink-client.ts";
import { createStore, type StoreKind } from "./stores.ts";

export type Shape = "sqlite" | "postgres" | "postgres_scaleout";

export const SHAPE_LABELS: Record<Shape, string> = {
  sqlite: "hookd sqlite (1 process)",
  postgres: "hookd postgres (1 serve)",
  postgres_scaleout: "hookd postgres (1 api + 2 workers)",
};

export interface ShapeResult {
  shape: Shape;
  single?: RunMetrics;
  batch?: RunMetrics;
  paced?: RunMetrics;
  /** Peak of the single and batch runs' delivery rates. */
  deliverRps: number;
  /** Events in the single and batch runs (see series.ts). */
  runEvents?: { single: number; batch: number };
  rssMb: number;
  /** Peak RSS of the largest single process. */
  rssProcessMb: number;
  missing: number;
  duplicates: number;
  db?: DbCheck;
  /** PostgreSQL shapes: the cost of the measured runs (cost.ts). */
  cost?: SeriesOutput["cost"];
  /** Problems hookd showed: log lines at warn or above, failed attempts, crashes, slow or non-zero exits. */
  problems: string[];
  error?: string;
}

export interface HookdEnv {
  env: Record<string, string>;
  adminKey: string;
}

export async function hookdEnv(databaseUrl: string): Promise<HookdEnv> {
  const adminKey = `bench-admin-${randomBytes(12).toString("hex")}`;
  return {
    adminKey,
    env: {
      HOOKD_DATABASE_URL: databaseUrl,
      HOOKD_HOST: "127.0.0.1",
      HOOKD_PORT: String(await freePort()),
      HOOKD_ADMIN_KEY: adminKey,
      // Required with PostgreSQL (and shared by the API and worker processes of one run).
      HOOKD_ENCRYPTION_KEY: randomBytes(32).toString("base64"),
      HOOKD_ALLOWED_NETWORKS: "127.0.0.0/8",
      // Compare with the worker on the main thread: BENCH_DELIVERY_THREAD=false.
      ...(process.env.BENCH_DELIVERY_THREAD ? { HOOKD_DELIVERY_THREAD: process.env.BENCH_DELIVERY_THREAD } : {}),
    },
  };
}

/** Starts the processes of a shape; the first one serves the API. */
export async function startShape(shape: Shape, env: Record<string, string>): Promise<HookdProcess[]> {
  if (shape !== "postgres_scaleout") return [await HookdProcess.start("hookd", env)];
  // The API process migrates first; workers started together would wait on the migration lock anyway.
  const api = await HookdProcess.start("api", env, ["serve", "--role", "api"]);
  const workers = await Promise.all(
    [1, 2].map((i) => HookdProcess.start(`worker-${i}`, env, ["serve", "--role", "worker"])),
  );
  return [api, ...workers];
}

/** Stops every process and turns whatever looked wrong in their logs and exits into readable lines. */
export async function stopAndCollect(procs: HookdProcess[]): Promise<string[]> {
  const problems: string[] = [];
  const stops = await Promise.all(procs.map((p) => p.stop()));
  procs.forEach((p, i) => {
    const s = stops[i];
    const gone = p.unexpectedExit();
    if (gone) problems.push(gone);
    else if (s && s.code !== 0) problems.push(`${p.name} exited with code ${s.code} after SIGTERM`);
    if (s && s.ms > 12_000) problems.push(`${p.name} took ${s.ms} ms to stop after SIGTERM`);
    for (const [msg, n] of p.findings.warnOrWorse) problems.push(`${p.name} logged ${n} x warn/error "${msg}"`);
    if (p.findings.failedAttempts > 0) problems.push(`${p.name} logged ${p.findings.failedAttempts} failed attempts`);
    for (const sample of p.findings.samples.slice(0, 3)) problems.push(`  sample: ${sample}`);
  });
  return problems;
}

export async function runShape(
  shape: Shape,
  cfg: BenchConfig,
  sink: Sink,
  log: (m: string) => void,
  meter: PgMeter | null,
): Promise<ShapeResult> {
  const kind: StoreKind = shape === "sqlite" ? "sqlite" : "postgres";
  const result: ShapeResult = {
    shape,
    deliverRps: Number.NaN,
    rssMb: Number.NaN,
    rssProcessMb: Number.NaN,
    missing: 0,
    duplicates: 0,
    problems: [],
  };
  const store = await createStore(kind, cfg.pgAdminUrl);
  let procs: HookdProcess[] = [];
  const rss = new RssSampler(() => procs.map((p) => p.pid));
  let api: HookdApi | null = null;
  let cost: CostMeter | null = null;
  const series: SeriesOutput = { runs: [], cost: {}, problems: [] };
  try {
    const { env, adminKey } = await hookdEnv(store.url);
    procs = await startShape(shape, env);
    rss.start();
    const first = procs[0];
    if (!first?.url) throw new Error("no API process");
    api = new HookdApi(first.url, adminKey, "bench", cfg.concurrency);
    await api.createTenant("Benchmark");
    const secret = generateSecret();
    // Default settings (max_in_flight, rate, timeout): the figures are the ones a user gets from one endpoint.
    await api.createEndpoint(sink.hookUrl, secret);
    if (kind === "postgres" && meter) cost = await CostMeter.start(meter, store.name, () => procs.map((p) => p.pid));
    const gone = () => procs.map((p) => p.unexpectedExit()).find((why) => why !== null) ?? null;
    await runSeries({ target: api, cfg, sink, secret, log, gone, noun: "events", cost }, series);
  } catch (err) {
    result.error = err instanceof Error ? err.message : String(err);
    log(`  !! ${SHAPE_LABELS[shape]} failed: ${result.error}`);
  } finally {
    cost?.stop();
    result.single = runNamed(series, "single");
    result.batch = runNamed(series, "batch");
    result.paced = runNamed(series, "paced");
    result.deliverRps = peakDeliverRps(series);
    result.runEvents = series.runEvents;
    result.cost = series.cost;
    result.problems.push(...series.problems);
    let accepted = 0;
    for (const m of series.runs) {
      accepted += m.events;
      if (m.label !== "warmup") {
        result.missing += m.missing;
        result.duplicates += m.duplicates;
      }
    }
    const warmMissing = warmupMissing(series);
    if (warmMissing > 0) result.problems.push(`warm-up run: ${warmMissing} events never delivered`);
    for (const m of series.runs) {
      if (m.publishErrors > 0) result.problems.push(`${m.label}: ${m.publishErrors} publishes refused: ${m.publishErrorSamples[0]}`);
      if (m.badSignatures > 0) result.problems.push(`${m.label}: ${m.badSignatures}/${m.verified} sampled signatures invalid`);
      if (m.stalled) result.problems.push(`${m.label}: deliveries stalled with ${m.missing} missing`);
    }
    await api?.close();
    rss.sample();
    rss.stop();
    result.rssMb = rss.peakMb;
    result.rssProcessMb = rss.peakProcessMb;
    result.problems.push(...(await stopAndCollect(procs)));
    try {
      const { db, problems } = await checkDeliveriesLogged(store, accepted);
      result.db = db;
      result.problems.push(...problems);
      log(`  database: ${db.deliveries} deliveries, ${db.succeeded} succeeded, ${db.attempts} attempts logged`);
    } catch (err) {
      result.problems.push(`could not check the database: ${(err as Error).message}`);
    }
    await store.drop();
  }
  for (const p of result.problems) log(`  !! ${p}`);
  return result;
}
