/**
 * The benchmark's entry point (`npm run bench`, i.e. `node --import tsx bench/run.ts`): checks that Redis and
 * PostgreSQL are reachable, starts the sink child process, then runs in order the raw ceiling, the BullMQ baseline,
 * hookd on SQLite, on PostgreSQL (one process, then one API and two workers) and the backlog runs, and prints the
 * tables and, last, one `BENCH_RESULT {json}` line. Settings are environment variables (see config.ts and
 * bench/README.md). Exits 1 when any system's result is VOID (deliveries missing or a run failed), 2 when a service
 * it needs is missing.
 */
import { runBacklog } from "./backlog.ts";
import { runBullmq } from "./bullmq-baseline.ts";
import { loadBullmq } from "./bullmq-module.ts";
import { loadConfig } from "./config.ts";
import { runShape, SHAPE_LABELS, type Shape } from "./hookd-runner.ts";
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
  const needsPostgres = ["postgres", "postgres_scaleout", "backlog"].some((p) => cfg.parts.has(p as Shape));
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
  if (postgres) missing.push(`PostgreSQL (needed by the postgres shapes and the backlog run) is not usable: ${postgres}. Start it, or set BENCH_PG_URL to a server where the user may CREATE DATABASE, or leave those parts out with BENCH_ONLY.`);
  if (needsRedis) {
    const problem = await loadBullmq().then(
      () => null,
      (err: unknown) => (err as Error).message,
    );
    if (problem) missing.push(problem);
  }
  if (missing.length > 0) {
    for (const m of missing) process.stderr.write(`bench: ${m}\n`);
    return 2;
  }

  const results: BenchResults = { cfg, shapes: {}, backlog: {}, wallS: 0 };
  const sink = await Sink.start();
  try {
    if (cfg.parts.has("raw")) {
      log("raw ceiling");
      results.raw = await runRawCeiling(sink, cfg, log);
    }
    if (cfg.parts.has("bullmq")) {
      log("BullMQ baseline");
      results.bullmq = await runBullmq(cfg, sink, log);
    }
    for (const shape of ["sqlite", "postgres", "postgres_scaleout"] as const) {
      if (!cfg.parts.has(shape)) continue;
      log(SHAPE_LABELS[shape]);
      results.shapes[shape] = await runShape(shape, cfg, sink, log);
    }
    if (cfg.parts.has("backlog")) {
      for (const kind of ["sqlite", "postgres"] as const) {
        log(`backlog on ${kind}: ${cfg.backlogSmall} pending`);
        const small = await runBacklog(kind, cfg.backlogSmall, cfg, sink, log);
        log(`backlog on ${kind}: ${cfg.backlog} pending`);
        const big = await runBacklog(kind, cfg.backlog, cfg, sink, log);
        results.backlog[kind] = { small, big };
      }
    }
  } finally {
    await sink.stop();
  }
  results.wallS = (performance.now() - started) / 1000;
  printTables(results, out);
  const line = benchResultLine(results);
  out(line);
  return line.includes('"void":true') || (results.raw?.missing ?? 0) > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
