/**
 * Owns the BullMQ baseline: what a Node team would write by hand instead of hookd. A producer (in the bench process,
 * like hookd's producer) enqueues jobs on a fresh queue on the local Redis, one `add` per event at fixed concurrency
 * and `addBulk` in chunks; a Worker in its own child process (bullmq-worker.ts) does the same signed undici POST to
 * the sink. Same runs as hookd: warm-up, single, batch, paced at half the peak deliver rate. Jobs are added with
 * 8 attempts, exponential backoff and removeOnComplete (the cheapest, commonest setting). The queue is obliterated
 * before and after. RSS is the worker process's (Redis's own memory is not counted, as PostgreSQL's is not for hookd).
 */
import { type ChildProcess, fork } from "node:child_process";
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import { generateSecret } from "../src/signing/secret.ts";
import { type BullJobOptions, type BullQueue, loadBullmq, type WebhookJob } from "./bullmq-module.ts";
import type { BenchConfig } from "./config.ts";
import { batchLoad, type IngestTarget, pacedLoad, type Published, singleLoad } from "./load.ts";
import { measureRun, type RunMetrics } from "./measure.ts";
import { EVENT_TYPE, eventDataJson } from "./payload.ts";
import { RssSampler } from "./rss.ts";
import type { Sink } from "./sink-client.ts";

export interface BullmqResult {
  single?: RunMetrics;
  batch?: RunMetrics;
  paced?: RunMetrics;
  deliverRps: number;
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

async function startWorker(env: Record<string, string>): Promise<ChildProcess> {
  const child = fork(fileURLToPath(new URL("./bullmq-worker.ts", import.meta.url)), [], {
    execArgv: ["--import", "tsx"],
    env: { PATH: process.env.PATH ?? "", ...env },
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("the BullMQ worker did not get ready in 30 s")), 30_000);
    child.once("message", () => {
      clearTimeout(timer);
      resolve();
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`the BullMQ worker exited with ${code} before it was ready`));
    });
  });
  return child;
}

async function stopWorker(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  child.disconnect();
  const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
  await exited;
  clearTimeout(timer);
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
  try {
    await queue.obliterate({ force: true });
    worker = await startWorker({
      BENCH_QUEUE: name,
      BENCH_SINK_HOOK_URL: sink.hookUrl,
      BENCH_SECRET: secret,
      BENCH_CONCURRENCY: String(cfg.concurrency),
      BENCH_REDIS_HOST: cfg.redisHost,
      BENCH_REDIS_PORT: String(cfg.redisPort),
    });
    rss.start();
    const target = new BullmqTarget(queue);
    const child = worker;
    const gone = () =>
      child.exitCode !== null || child.signalCode !== null
        ? `the BullMQ worker exited (code ${child.exitCode}, signal ${child.signalCode})`
        : null;
    const base = { sink, secret, stallMs: cfg.stallMs, log, gone };
    if (cfg.warmup > 0) {
      const warm = await measureRun({ ...base, label: "warmup", load: () => singleLoad(target, cfg.warmup, cfg.concurrency, 0) });
      if (warm.missing > 0) result.problems.push(`warm-up run: ${warm.missing} jobs never delivered`);
    }
    result.single = await measureRun({
      ...base,
      label: "single",
      load: () => singleLoad(target, cfg.n, cfg.concurrency, 1_000_000),
    });
    if (gone()) throw new Error(`during the single run: ${gone()}`);
    result.batch = await measureRun({
      ...base,
      label: "batch",
      load: () => batchLoad(target, cfg.n, cfg.batchSize, cfg.batchConcurrency, 2_000_000),
    });
    if (gone()) throw new Error(`during the batch run: ${gone()}`);
    result.deliverRps = Math.max(result.single.deliverRps, result.batch.deliverRps);
    const pacedRate = result.deliverRps / 2;
    const mode = pacedRate <= 0.7 * result.single.ingestRps ? "single" : "batch";
    log(`  paced run: ${Math.round(pacedRate)} jobs/s for ${cfg.pacedSeconds} s, ${mode} adds`);
    result.paced = await measureRun({
      ...base,
      label: "paced",
      load: () => pacedLoad(target, pacedRate, cfg.pacedSeconds, mode, 3_000_000),
    });
  } catch (err) {
    result.error = err instanceof Error ? err.message : String(err);
    log(`  !! BullMQ baseline failed: ${result.error}`);
  } finally {
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
