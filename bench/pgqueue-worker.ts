/**
 * Owns the PostgreSQL-queue baseline's consumer, run as its own child process (as hookd's worker is): graphile-worker
 * or pg-boss (BENCH_PGQUEUE_LIB), each task making the signed undici POST of webhook-post.ts. Settings arrive in the
 * environment (see pgqueue-baseline.ts); it reports "ready" over IPC and stops the queue gracefully when the IPC
 * channel closes.
 */
import { startGraphileConsumer } from "./pgqueue-graphile.ts";
import { startPgBossConsumer } from "./pgqueue-pgboss.ts";
import { requiredEnv, webhookSender } from "./webhook-post.ts";

const lib = requiredEnv("BENCH_PGQUEUE_LIB");
const url = requiredEnv("BENCH_DATABASE_URL");
const concurrency = Number(requiredEnv("BENCH_CONCURRENCY"));
const sender = webhookSender(requiredEnv("BENCH_SINK_HOOK_URL"), requiredEnv("BENCH_SECRET"));
let failures = 0;
const onFailure = () => failures++;

const stop =
  lib === "pg-boss"
    ? await startPgBossConsumer(
        url,
        concurrency,
        Number(requiredEnv("BENCH_PGBOSS_LOOPS")),
        Number(requiredEnv("BENCH_PGBOSS_BATCH")),
        sender,
        onFailure,
      )
    : await startGraphileConsumer(url, concurrency, Number(requiredEnv("BENCH_GRAPHILE_LOCAL_QUEUE")), sender, onFailure);
process.send?.({ ready: true });

process.on("disconnect", () => {
  void stop()
    .then(() => sender.close())
    .catch((err: unknown) => process.stderr.write(`pgqueue-worker: stopping: ${String(err)}\n`))
    .finally(() => {
      if (failures > 0) process.stderr.write(`pgqueue-worker (${lib}): ${failures} failed attempts\n`);
      process.exit(0);
    });
});
