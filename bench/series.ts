/**
 * Owns the series of runs every queueing system goes through, so hookd and the baselines are measured the same way:
 * a warm-up (not reported), a single-event run, a batch run (each sized so that a system too slow to take BENCH_N
 * events in about BENCH_RUN_MAX_S gets fewer), and a paced run at half the peak delivery rate, as
 * single publishes when the system takes that rate comfortably one by one (under 70% of its single-event ingest
 * rate), else one batch per tick. With a cost meter (PostgreSQL systems), the runs named in `BENCH_COST_RUNS` are
 * bracketed by settled snapshots of the database's counters (cost.ts). Every finished run is appended to `out` as
 * it completes, so a series that fails half-way still reports what it measured.
 */
import type { BenchConfig } from "./config.ts";
import type { CostFigures, CostMeter, CostSnapshot } from "./cost.ts";
import { batchLoad, type IngestTarget, pacedLoad, singleLoad } from "./load.ts";
import { measureRun, type RunMetrics } from "./measure.ts";
import type { Sink } from "./sink-client.ts";

export interface SeriesOptions {
  target: IngestTarget;
  cfg: BenchConfig;
  sink: Sink;
  secret: string;
  log: (m: string) => void;
  /** Why waiting for deliveries is pointless (the delivering process is gone), or null. */
  gone: () => string | null;
  /** What one publish is called in the log ("events", "jobs"). */
  noun: string;
  cost?: CostMeter | null;
}

export interface SeriesOutput {
  runs: RunMetrics[];
  /** Events in the single and batch runs: N, or fewer for a system too slow to deliver N in BENCH_RUN_MAX_S. */
  runEvents?: { single: number; batch: number };
  cost: { single?: CostFigures; batch?: CostFigures };
  /** What went wrong measuring the cost (the runs themselves report through their metrics). */
  problems: string[];
}

export function runNamed(out: SeriesOutput, label: string): RunMetrics | undefined {
  return out.runs.find((r) => r.label === label);
}

/** Warm-up events that never arrived (over both warm-up steps). */
export function warmupMissing(out: SeriesOutput): number {
  return out.runs.filter((r) => r.label === "warmup").reduce((n, r) => n + r.missing, 0);
}

/** The warm-up starts with this many events; how many more follow depends on how fast those were delivered. */
const WARMUP_PROBE = 200;
/** The rest of the warm-up is what the system delivers in about this long (up to BENCH_WARMUP in all). */
const WARMUP_SECONDS = 10;
/** However slow the system, a measured run has at least this many events. */
const MIN_RUN_EVENTS = 1000;

/** Peak of the single and batch runs' delivery rates. */
export function peakDeliverRps(out: SeriesOutput): number {
  return Math.max(runNamed(out, "single")?.deliverRps ?? Number.NaN, runNamed(out, "batch")?.deliverRps ?? Number.NaN);
}

export async function runSeries(opts: SeriesOptions, out: SeriesOutput): Promise<void> {
  const { cfg, target, log } = opts;
  const base = { sink: opts.sink, secret: opts.secret, stallMs: cfg.stallMs, log, gone: opts.gone };
  const run = async (label: string, load: Parameters<typeof measureRun>[0]["load"]) => {
    const m = await measureRun({ ...base, label, load });
    out.runs.push(m);
    const why = opts.gone();
    if (why) throw new Error(`during the ${label} run: ${why}`);
    return m;
  };
  const costOf = new Set(opts.cost ? cfg.costRuns : []);
  // A meter that fails costs the cost figures, never the runs.
  let meterProblem: string | null = null;
  const settle = async (): Promise<CostSnapshot | null> => {
    if (!opts.cost || meterProblem) return null;
    log("  settling PostgreSQL's counters (quiet, then 10.5 s for every backend to flush its statistics)");
    return opts.cost.settle().catch((err: unknown) => {
      meterProblem = `cost not measured: ${(err as Error).message}`;
      out.problems.push(meterProblem);
      return null;
    });
  };
  const measureCost = async (label: "single" | "batch", from: CostSnapshot | null, to: CostSnapshot | null, m: RunMetrics) => {
    if (!opts.cost || !from || !to) return;
    const c = await opts.cost.figures(label, from, to, m.events - m.missing).catch((err: unknown) => {
      out.problems.push(`cost of the ${label} run not measured: ${(err as Error).message}`);
      return null;
    });
    if (!c) return;
    out.cost[label] = c;
    out.problems.push(...c.problems);
    const per = (v: number) => (c.deliveries > 0 ? v / c.deliveries : Number.NaN);
    log(
      `  cost of the ${label} run: ${Math.round(per(c.walBytes))} B WAL (${c.walScope}), ${per(c.xacts).toFixed(3)} xacts, ` +
        `${per(c.rowsInserted + c.rowsUpdated + c.rowsDeleted).toFixed(2)} rows, ${Math.round(per(c.pgCpuUs))} us PostgreSQL CPU, ` +
        `${Math.round(per(c.procCpuUs))} us own CPU per delivery`,
    );
  };

  // Warm-up in two steps, so that a slow system is warmed up (and measured) in bounded time: a probe, then what the
  // system delivers in WARMUP_SECONDS at the probe's rate. The second step's rate sizes the single run.
  let warmRate = Number.NaN;
  if (cfg.warmup > 0) {
    const probeEvents = Math.min(cfg.warmup, WARMUP_PROBE);
    const probe = await run("warmup", () => singleLoad(target, probeEvents, cfg.concurrency, 0));
    warmRate = probe.deliverRps;
    const rest = Math.min(cfg.warmup - probeEvents, Math.round((warmRate || 0) * WARMUP_SECONDS));
    if (rest > 0) warmRate = (await run("warmup", () => singleLoad(target, rest, cfg.concurrency, probeEvents))).deliverRps;
  }
  // Each run is sized by the rate that will bound it: the single run by the warm-up's (also single publishes); the
  // batch run by the single run's delivery rate when delivery, not ingest, held that run back, else not at all.
  const sized = (rate: number) =>
    Number.isFinite(rate) ? Math.min(cfg.n, Math.max(MIN_RUN_EVENTS, Math.round(rate * cfg.runMaxS))) : cfg.n;
  const nSingle = sized(warmRate);
  if (nSingle < cfg.n) log(`  single run cut to ${nSingle} events: the warm-up delivered ${Math.round(warmRate)}/s (BENCH_RUN_MAX_S ${cfg.runMaxS})`);
  const beforeSingle = costOf.has("single") ? await settle() : null;
  const single = await run("single", () => singleLoad(target, nSingle, cfg.concurrency, 1_000_000));
  const afterSingle = costOf.size > 0 ? await settle() : null;
  await measureCost("single", beforeSingle, afterSingle, single);
  const deliveryBound = single.deliverRps < 0.8 * single.ingestRps;
  const nBatch = deliveryBound ? sized(single.deliverRps) : cfg.n;
  if (nBatch < cfg.n) log(`  batch run cut to ${nBatch} events: the single run delivered ${Math.round(single.deliverRps)}/s (BENCH_RUN_MAX_S ${cfg.runMaxS})`);
  out.runEvents = { single: nSingle, batch: nBatch };
  const batch = await run("batch", () => batchLoad(target, nBatch, cfg.batchSize, cfg.batchConcurrency, 2_000_000));
  const afterBatch = costOf.has("batch") ? await settle() : null;
  await measureCost("batch", afterSingle, afterBatch, batch);

  const pacedRate = Math.max(single.deliverRps, batch.deliverRps) / 2;
  if (!(pacedRate > 0)) throw new Error("no delivery rate to pace at");
  const mode = pacedRate <= 0.7 * single.ingestRps ? "single" : "batch";
  log(`  paced run: ${Math.round(pacedRate)} ${opts.noun}/s for ${cfg.pacedSeconds} s, ${mode} publishes`);
  await run("paced", () => pacedLoad(target, pacedRate, cfg.pacedSeconds, mode, 3_000_000));
}
