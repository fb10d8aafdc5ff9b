/**
 * Owns the baselines' delivery step: the signed undici POST of one job to the sink, exactly as the raw ceiling and
 * hookd make it (payload.ts renders the Standard Webhooks body and headers). Anything but a 2xx throws, so the
 * queue library retries the job.
 */
import { Agent, request } from "undici";
import { parseSecret } from "../src/signing/secret.ts";
import { webhookBody, webhookHeaders } from "./payload.ts";

/** What a baseline's producer enqueues per event. */
export interface WebhookJob {
  id: string;
  type: string;
  /** The event data as JSON text, so the signed body is the same bytes on every retry. */
  data: string;
}

export interface WebhookSender {
  /** POSTs the job; `createdMs` is the event's creation time (the body's timestamp), `attempt` counts from 1. */
  send(job: WebhookJob, createdMs: number, attempt: number): Promise<void>;
  close(): Promise<void>;
}

export function webhookSender(url: string, secret: string): WebhookSender {
  const key = parseSecret(secret);
  const dispatcher = new Agent({ connections: 128, keepAliveTimeout: 30_000, keepAliveMaxTimeout: 30_000 });
  return {
    async send(job, createdMs, attempt) {
      const body = webhookBody(job.id, job.type, createdMs, job.data);
      const res = await request(url, {
        method: "POST",
        headers: webhookHeaders(key, job.id, body, attempt),
        body,
        dispatcher,
        headersTimeout: 15_000,
        bodyTimeout: 15_000,
      });
      await res.body.dump();
      if (res.statusCode < 200 || res.statusCode > 299) throw new Error(`endpoint answered ${res.statusCode}`);
    },
    close: () => dispatcher.close(),
  };
}

export function requiredEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${process.argv[1] ?? "worker"}: ${name} is not set`);
  return value;
}
