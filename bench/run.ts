/**
 * The benchmark's entry point (`npm run bench`, i.e. `node --import tsx bench/run.ts`): checks that Redis and
 * PostgreSQL are reachable, starts the sink child process, then runs in order the raw ceiling, the BullMQ baseline,
 * the PostgreSQL-queue baseline, hookd on SQLite, on PostgreSQL (one process, then one API and two workers), the
 * backlog runs and the fleet runs, and prints the tables and, last, one `BENCH_RESULT {json}` line. Settings are
 * environment variables (see config.ts and bench/README.md). Exits 1 when any system's result is VOID (deliveries
 * missing or a run failed) or a fleet run is (a healthy event missing), 2 when a service it needs is missing.
 */
import { runBacklog } from "./backlog.ts";
import { runBullmq } from "./bullmq-baseline.ts";
import { loadBullmq } from "./bullmq-module.ts";
import { loadConfig, type Part } from "./config.ts";
import { runFleet } from "./fleet.ts";
import { runShape, SHAPE_LABELS } from "./hookd-runner.ts";
import { PgMeter } from "./pg-meter.ts";
import { PGQUEUE_LABELS, runPgQueue } from "./pgqueue-baseline.ts";
import { checkPgQueue } from "./pgqueue-module.ts";
import { checkPostgres, checkRedis } from "./preflight.ts";
import { runRawCeiling } from "./raw-ceiling.ts";
import { benchResultLine, type BenchResults, printTables } from "./report.ts";
import { Sink } from "./sink-client.ts";

const started = performance.now();
const elapsed = () => ((performance.now() - started) / 1000).toFixed(0).padStart(4);
const log = (msg: string) => process.stdout.write(`[bench ${elapsed()} s] ${msg}\n`);
const out = (text: string) => process.stdout.write(`${text}\n`);

async function main(): Promise<number> {
  const cfg = loadConfig();
  const needsPostgres =
    ["postgres", "postgres_scaleout", "pgqueue", "backlog"].some((p) => cfg.parts.has(p as Part)) ||
    (cfg.parts.has("fleet") && cfg.fleet.stores.includes("postgres"));
  const needsMeter = ["postgres", "postgres_scaleout", "pgqueue"].some((p) => cfg.parts.has(p as Part));
  const needsRedis = cfg.parts.has("bullmq");
  log(
    `N=${cfg.n} events per run, backlog ${cfg.backlog} vs ${cfg.backlogSmall} (rate over the first ` +
      `${cfg.backlogWindow}), concurrency ${cfg.concurrency}, batches of ${cfg.batchSize} x${cfg.batchConcurrency}, ` +
      `paced ${cfg.pacedSeconds} s, warm-up ${cfg.warmup}; parts: ${[...cfg.parts].join(",")}`,
  );

  const missing: string[] = [];
  const [redis, postgres] = await Promise.all([
    needsRedis ? checkRedis(cfg.redisHost, cfg.redisPort) : null,
    needsPostgres ? checkPostgres(cfg.pgAdminUrl) : null,
  ]);
  if (redis) missing.push(`Redis (needed by the BullMQ baseline) is not reachable: ${redis}. Start redis-server, or set BENCH_REDIS_HOST/BENCH_REDIS_PORT, or leave bullmq out with BENCH_ONLY.`);
  if (postgres) missing.push(`PostgreSQL (needed by the postgres shapes, the PostgreSQL-queue baseline, the backlog and fleet runs) is not usable: ${postgres}. Start it, or set BENCH_PG_URL to a server where the user may CREATE DATABASE, or leave those parts out with BENCH_ONLY.`);
  const loadable = (p: Promise<unknown>) =>
    p.then(
      () => null,
      (err: unknown) => (err as Error).message,
    );
  if (needsRedis) {
    const problem = await loadable(loadBullmq());
    if (problem) missing.push(problem);
  }
  if (cfg.parts.has("pgqueue")) {
    const problem = await loadable(checkPgQueue(cfg.pgQueue));
    if (problem) missing.push(problem);
  }
  if (missing.length > 0) {
    for (const m of missing) process.stderr.write(`bench: ${m}\n`);
    return 2;
  }

  const results: BenchResults = { cfg, shapes: {}, backlog: {}, fleet: {}, partSeconds: {}, wallS: 0 };
  // Times each part, for keeping the whole bench within its budget.
  const timed = async <T>(part: string, fn: () => Promise<T>): Promise<T> => {
    const t0 = performance.now();
    try {
      return await fn();
    } finally {
      results.partSeconds[part] = (results.partSeconds[part] ?? 0) + (performance.now() - t0) / 1000;
    }
  };
  const meter = needsMeter ? await PgMeter.open(cfg.pgAdminUrl) : null;
  if (meter && !meter.walInspect) {
    log(`pg_walinspect is not available (${meter.walInspectProblem}): WAL per delivery will be the server-wide figure`);
  }
  const sink = await Sink.start().catch(async (err: unknown) => {
    await meter?.close();
    throw err;
  });
  try {
    if (cfg.parts.has("raw")) {
      log("raw ceiling");
      results.raw = await timed("raw", () => runRawCeiling(sink, cfg, log));
    }
    if (cfg.parts.has("bullmq")) {
      log("BullMQ baseline");
      results.bullmq = await timed("bullmq", () => runBullmq(cfg, sink, log));
    }
    if (cfg.parts.has("pgqueue")) {
      log(`PostgreSQL-queue baseline: ${PGQUEUE_LABELS[cfg.pgQueue]}`);
      results.pgqueue = await timed("pgqueue", () => runPgQueue(cfg, sink, log, meter));
    }
    for (const shape of ["sqlite", "postgres", "postgres_scaleout"] as const) {
      if (!cfg.parts.has(shape)) continue;
      log(SHAPE_LABELS[shape]);
      results.shapes[shape] = await timed(shape, () => runShape(shape, cfg, sink, log, meter));
    }
    if (cfg.parts.has("backlog")) {
      for (const kind of ["sqlite", "postgres"] as const) {
        log(`backlog on ${kind}: ${cfg.backlogSmall} pending`);
        const small = await timed(`backlog_${kind}`, () => runBacklog(kind, cfg.backlogSmall, cfg, sink, log));
        log(`backlog on ${kind}: ${cfg.backlog} pending`);
        const big = await timed(`backlog_${kind}`, () => runBacklog(kind, cfg.backlog, cfg, sink, log));
        results.backlog[kind] = { small, big };
      }
    }
    if (cfg.parts.has("fleet")) {
      for (const kind of cfg.fleet.stores) {
        log(`fleet on ${kind}`);
        results.fleet[kind] = await timed(`fleet_${kind}`, () => runFleet(kind, cfg, sink, log));
      }
    }
  } finally {
    await sink.stop();
    await meter?.close();
  }
  results.wallS = (performance.now() - started) / 1000;
  printTables(results, out);
  const line = benchResultLine(results);
  out(line);
  const voided = line.includes('"void":true') || line.includes('"fleet_void":true');
  return voided || (results.raw?.missing ?? 0) > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
