/**
 * Owns the BullMQ baseline: what a Node team would write by hand instead of hookd. A producer (in the bench process,
 * like hookd's producer) enqueues jobs on a fresh queue on the local Redis, one `add` per event at fixed concurrency
 * and `addBulk` in chunks; a Worker in its own child process (bullmq-worker.ts) does the same signed undici POST to
 * the sink. Same runs as hookd (series.ts): warm-up, single, batch, paced at half the peak deliver rate. Jobs are added with
 * 8 attempts, exponential backoff and removeOnComplete (the cheapest, commonest setting). The queue is obliterated
 * before and after. RSS is the worker process's (Redis's own memory is not counted, as PostgreSQL's is not for hookd).
 */
import type { ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { generateSecret } from "../src/signing/secret.ts";
import { type BullJobOptions, type BullQueue, loadBullmq, type WebhookJob } from "./bullmq-module.ts";
import type { BenchConfig } from "./config.ts";
import type { IngestTarget, Published } from "./load.ts";
import type { RunMetrics } from "./measure.ts";
import { EVENT_TYPE, eventDataJson } from "./payload.ts";
import { RssSampler } from "./rss.ts";
import { peakDeliverRps, runNamed, runSeries, type SeriesOutput, warmupMissing } from "./series.ts";
import type { Sink } from "./sink-client.ts";
import { forkWorker, stopWorker, workerGone } from "./worker-child.ts";

export interface BullmqResult {
  single?: RunMetrics;
  batch?: RunMetrics;
  paced?: RunMetrics;
  deliverRps: number;
  /** Events in the single and batch runs (see series.ts). */
  runEvents?: { single: number; batch: number };
  rssMb: number;
  rssProcessMb: number;
  missing: number;
  duplicates: number;
  problems: string[];
  error?: string;
}

const JOB_OPTIONS: BullJobOptions = {
  attempts: 8,
  backoff: { type: "exponential", delay: 1000 },
  removeOnComplete: true,
  removeOnFail: 10_000,
};

class BullmqTarget implements IngestTarget {
  private readonly tag = randomBytes(4).toString("hex");

  constructor(private readonly queue: BullQueue<WebhookJob>) {}

  private job(seq: number): WebhookJob {
    return { id: `evt_${this.tag}_${seq}`, type: EVENT_TYPE, data: eventDataJson(seq) };
  }

  async publishOne(seq: number): Promise<Published> {
    const data = this.job(seq);
    const job = await this.queue.add("webhook", data, JOB_OPTIONS);
    return { id: data.id, createdAt: job.timestamp };
  }

  async publishBatch(seqs: number[]): Promise<Published[]> {
    const jobs = await this.queue.addBulk(seqs.map((seq) => ({ name: "webhook", data: this.job(seq), opts: JOB_OPTIONS })));
    return jobs.map((j) => ({ id: j.data.id, createdAt: j.timestamp }));
  }
}

export async function runBullmq(cfg: BenchConfig, sink: Sink, log: (m: string) => void): Promise<BullmqResult> {
  const result: BullmqResult = {
    deliverRps: Number.NaN,
    rssMb: Number.NaN,
    rssProcessMb: Number.NaN,
    missing: 0,
    duplicates: 0,
    problems: [],
  };
  const connection = { host: cfg.redisHost, port: cfg.redisPort };
  const name = `hookd-bench-${randomBytes(4).toString("hex")}`;
  const { Queue } = await loadBullmq();
  const queue = new Queue<WebhookJob>(name, { connection });
  const secret = generateSecret();
  let worker: ChildProcess | null = null;
  const rss = new RssSampler(() => (worker?.pid ? [worker.pid] : []));
  const series: SeriesOutput = { runs: [], cost: {}, problems: [] };
  try {
    await queue.obliterate({ force: true });
    worker = await forkWorker("bullmq-worker.ts", "the BullMQ worker", {
      BENCH_QUEUE: name,
      BENCH_SINK_HOOK_URL: sink.hookUrl,
      BENCH_SECRET: secret,
      BENCH_CONCURRENCY: String(cfg.concurrency),
      BENCH_REDIS_HOST: cfg.redisHost,
      BENCH_REDIS_PORT: String(cfg.redisPort),
    });
    rss.start();
    const child = worker;
    const gone = () => workerGone(child, "the BullMQ worker");
    await runSeries({ target: new BullmqTarget(queue), cfg, sink, secret, log, gone, noun: "jobs" }, series);
  } catch (err) {
    result.error = err instanceof Error ? err.message : String(err);
    log(`  !! BullMQ baseline failed: ${result.error}`);
  } finally {
    result.single = runNamed(series, "single");
    result.batch = runNamed(series, "batch");
    result.paced = runNamed(series, "paced");
    result.deliverRps = peakDeliverRps(series);
    result.runEvents = series.runEvents;
    const warmMissing = warmupMissing(series);
    if (warmMissing > 0) result.problems.push(`warm-up run: ${warmMissing} jobs never delivered`);
    for (const m of [result.single, result.batch, result.paced]) {
      if (!m) continue;
      result.missing += m.missing;
      result.duplicates += m.duplicates;
      if (m.publishErrors > 0) result.problems.push(`${m.label}: ${m.publishErrors} adds failed: ${m.publishErrorSamples[0]}`);
      if (m.badSignatures > 0) result.problems.push(`${m.label}: ${m.badSignatures}/${m.verified} sampled signatures invalid`);
    }
    const counts = await queue.getJobCounts("failed", "waiting", "active", "delayed").catch(() => null);
    if (counts && (counts.failed ?? 0) + (counts.delayed ?? 0) > 0) {
      result.problems.push(`queue ends with ${counts.failed} failed and ${counts.delayed} delayed jobs`);
    }
    rss.sample();
    rss.stop();
    result.rssMb = rss.peakMb;
    result.rssProcessMb = rss.peakProcessMb;
    if (worker) await stopWorker(worker);
    await queue.obliterate({ force: true }).catch(() => undefined);
    await queue.close();
  }
  for (const p of result.problems) log(`  !! ${p}`);
  return result;
}
