/**
 * Owns the BullMQ baseline's consumer, run as its own child process (as hookd's worker is): a BullMQ Worker at fixed
 * concurrency whose processor makes the signed undici POST of webhook-post.ts; anything but a 2xx throws, so BullMQ
 * retries it. Settings arrive in the environment (see bullmq-baseline.ts); it reports "ready" over IPC and closes
 * the worker gracefully when the IPC channel closes.
 */
import { loadBullmq } from "./bullmq-module.ts";
import { requiredEnv, type WebhookJob, webhookSender } from "./webhook-post.ts";

const sender = webhookSender(requiredEnv("BENCH_SINK_HOOK_URL"), requiredEnv("BENCH_SECRET"));

const { Worker } = await loadBullmq();
const worker = new Worker<WebhookJob>(
  requiredEnv("BENCH_QUEUE"),
  (job) => sender.send(job.data, job.timestamp, job.attemptsMade + 1),
  {
    connection: {
      host: requiredEnv("BENCH_REDIS_HOST"),
      port: Number(requiredEnv("BENCH_REDIS_PORT")),
      maxRetriesPerRequest: null,
    },
    concurrency: Number(requiredEnv("BENCH_CONCURRENCY")),
  },
);

let failures = 0;
worker.on("failed", () => failures++);
worker.on("error", (err) => process.stderr.write(`bullmq-worker: ${err instanceof Error ? err.message : String(err)}\n`));

await worker.waitUntilReady();
process.send?.({ ready: true });

process.on("disconnect", () => {
  void worker
    .close()
    .then(() => sender.close())
    .finally(() => {
      if (failures > 0) process.stderr.write(`bullmq-worker: ${failures} failed attempts\n`);
      process.exit(0);
    });
});
