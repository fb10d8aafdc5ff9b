/**
 * Owns the PostgreSQL-queue baseline: the durable PostgreSQL job queue a Node team would pick instead of hookd,
 * graphile-worker (default) or pg-boss (`BENCH_PGQUEUE=pg-boss`). Each run gets a fresh database in which the
 * library installs its own schema; the producer runs in the bench process (as BullMQ's does), the consumer in its
 * own child process (pgqueue-worker.ts) with 64 jobs in flight, each making the same signed undici POST to the sink.
 * Same series as hookd and BullMQ (series.ts), with the cost of the single and batch runs measured the same way as
 * hookd's on PostgreSQL (cost.ts; the worker's CPU stands where hookd's would). RSS is the worker process's.
 */
import type { ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { generateSecret } from "../src/signing/secret.ts";
import type { BullmqResult } from "./bullmq-baseline.ts";
import type { BenchConfig, PgQueueLib } from "./config.ts";
import { CostMeter } from "./cost.ts";
import type { IngestTarget } from "./load.ts";
import type { PgMeter } from "./pg-meter.ts";
import { GraphileProducer } from "./pgqueue-graphile.ts";
import { PgBossProducer } from "./pgqueue-pgboss.ts";
import { RssSampler } from "./rss.ts";
import { peakDeliverRps, runNamed, runSeries, type SeriesOutput, warmupMissing } from "./series.ts";
import type { Sink } from "./sink-client.ts";
import { createStore } from "./stores.ts";
import { forkWorker, stopWorker, workerGone } from "./worker-child.ts";

export type PgQueueResult = BullmqResult & { lib: PgQueueLib; cost: SeriesOutput["cost"] };

export const PGQUEUE_LABELS: Record<PgQueueLib, string> = {
  "graphile-worker": "graphile-worker + undici task",
  "pg-boss": "pg-boss + undici worker",
};

/** Jobs the queue still holds at the end that never completed (the library's own tables). */
const UNFINISHED_SQL: Record<PgQueueLib, string> = {
  "graphile-worker": "SELECT count(*) AS n FROM graphile_worker.jobs",
  "pg-boss": "SELECT count(*) AS n FROM pgboss.job WHERE state <> 'completed'",
};

type Producer = IngestTarget & { close(): Promise<void> };

export async function runPgQueue(
  cfg: BenchConfig,
  sink: Sink,
  log: (m: string) => void,
  meter: PgMeter | null,
): Promise<PgQueueResult> {
  const lib = cfg.pgQueue;
  const label = `the ${lib} worker`;
  const result: PgQueueResult = {
    lib,
    deliverRps: Number.NaN,
    rssMb: Number.NaN,
    rssProcessMb: Number.NaN,
    missing: 0,
    duplicates: 0,
    problems: [],
    cost: {},
  };
  const store = await createStore("postgres", cfg.pgAdminUrl, "pgqueue_bench");
  const secret = generateSecret();
  let producer: Producer | null = null;
  let worker: ChildProcess | null = null;
  let cost: CostMeter | null = null;
  const rss = new RssSampler(() => (worker?.pid ? [worker.pid] : []));
  const series: SeriesOutput = { runs: [], cost: {}, problems: [] };
  try {
    const tag = randomBytes(4).toString("hex");
    // The producer installs the schema first, so the worker starts on a ready database.
    producer = lib === "graphile-worker" ? await GraphileProducer.open(store.url, tag) : await PgBossProducer.open(store.url, tag);
    worker = await forkWorker("pgqueue-worker.ts", label, {
      BENCH_PGQUEUE_LIB: lib,
      BENCH_DATABASE_URL: store.url,
      BENCH_SINK_HOOK_URL: sink.hookUrl,
      BENCH_SECRET: secret,
      BENCH_CONCURRENCY: String(cfg.concurrency),
      BENCH_GRAPHILE_LOCAL_QUEUE: String(cfg.graphileLocalQueue),
      BENCH_PGBOSS_LOOPS: String(cfg.pgbossLoops),
      BENCH_PGBOSS_BATCH: String(cfg.pgbossBatch),
    });
    rss.start();
    const child = worker;
    if (meter) cost = await CostMeter.start(meter, store.name, () => (child.pid ? [child.pid] : []));
    const gone = () => workerGone(child, label);
    await runSeries({ target: producer, cfg, sink, secret, log, gone, noun: "jobs", cost }, series);
  } catch (err) {
    result.error = err instanceof Error ? err.message : String(err);
    log(`  !! ${lib} baseline failed: ${result.error}`);
  } finally {
    cost?.stop();
    result.single = runNamed(series, "single");
    result.batch = runNamed(series, "batch");
    result.paced = runNamed(series, "paced");
    result.deliverRps = peakDeliverRps(series);
    result.runEvents = series.runEvents;
    result.cost = series.cost;
    result.problems.push(...series.problems);
    const warmMissing = warmupMissing(series);
    if (warmMissing > 0) result.problems.push(`warm-up run: ${warmMissing} jobs never delivered`);
    for (const m of [result.single, result.batch, result.paced]) {
      if (!m) continue;
      result.missing += m.missing;
      result.duplicates += m.duplicates;
      if (m.publishErrors > 0) result.problems.push(`${m.label}: ${m.publishErrors} adds failed: ${m.publishErrorSamples[0]}`);
      if (m.badSignatures > 0) result.problems.push(`${m.label}: ${m.badSignatures}/${m.verified} sampled signatures invalid`);
    }
    rss.sample();
    rss.stop();
    result.rssMb = rss.peakMb;
    result.rssProcessMb = rss.peakProcessMb;
    if (worker) await stopWorker(worker);
    await producer?.close().catch(() => undefined);
    const left = await store.queryNumbers(UNFINISHED_SQL[lib]).catch(() => null);
    if (left && (left.n ?? 0) > 0) result.problems.push(`queue ends with ${left.n} unfinished jobs`);
    await store.drop();
  }
  for (const p of result.problems) log(`  !! ${p}`);
  return result;
}
