/**
 * Owns the BullMQ baseline's consumer, run as its own child process (as hookd's worker is): a BullMQ Worker at fixed
 * concurrency whose processor renders the webhook body, signs it (Standard Webhooks) and POSTs it with undici to the
 * sink; anything but a 2xx throws, so BullMQ retries it. Settings arrive in the environment (see bullmq-baseline.ts);
 * it reports "ready" over IPC and closes the worker gracefully when the IPC channel closes.
 */
import { Agent, request } from "undici";
import { parseSecret } from "../src/signing/secret.ts";
import { loadBullmq, type WebhookJob } from "./bullmq-module.ts";
import { webhookBody, webhookHeaders } from "./payload.ts";

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`bullmq-worker: ${name} is not set`);
  return value;
}

const url = required("BENCH_SINK_HOOK_URL");
const key = parseSecret(required("BENCH_SECRET"));
const dispatcher = new Agent({ connections: 128, keepAliveTimeout: 30_000, keepAliveMaxTimeout: 30_000 });

const { Worker } = await loadBullmq();
const worker = new Worker<WebhookJob>(
  required("BENCH_QUEUE"),
  async (job) => {
    const { id, type, data } = job.data;
    const body = webhookBody(id, type, job.timestamp, data);
    const res = await request(url, {
      method: "POST",
      headers: webhookHeaders(key, id, body, job.attemptsMade + 1),
      body,
      dispatcher,
      headersTimeout: 15_000,
      bodyTimeout: 15_000,
    });
    await res.body.dump();
    if (res.statusCode < 200 || res.statusCode > 299) throw new Error(`endpoint answered ${res.statusCode}`);
  },
  {
    connection: {
      host: required("BENCH_REDIS_HOST"),
      port: Number(required("BENCH_REDIS_PORT")),
      maxRetriesPerRequest: null,
    },
    concurrency: Number(required("BENCH_CONCURRENCY")),
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
    .then(() => dispatcher.close())
    .finally(() => {
      if (failures > 0) process.stderr.write(`bullmq-worker: ${failures} failed attempts\n`);
      process.exit(0);
    });
});
