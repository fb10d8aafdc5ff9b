/**
 * Owns the raw ceiling: the fastest this machine moves signed webhooks to the sink with no storage at all. An undici
 * POST loop (one shared keep-alive Agent, as hookd uses) at fixed concurrency builds each request the way a delivery
 * worker would (body rendered from the event, Standard Webhooks signature) and sends it. Requests per second over
 * the wall time of the loop; the sink confirms that every id arrived.
 */
import { randomBytes } from "node:crypto";
import { Agent, request } from "undici";
import { generateSecret, parseSecret } from "../src/signing/secret.ts";
import { EVENT_TYPE, eventDataJson, webhookBody, webhookHeaders } from "./payload.ts";
import type { Sink } from "./sink-client.ts";
import { deliveryRate } from "./stats.ts";

export interface RawResult {
  requests: number;
  rps: number;
  sinkRps: number;
  missing: number;
  duplicates: number;
  errors: number;
  badSignatures: number;
  verified: number;
}

async function postLoop(sink: Sink, key: Buffer, n: number, concurrency: number, tag: string): Promise<number> {
  const dispatcher = new Agent({ connections: 128, keepAliveTimeout: 30_000, keepAliveMaxTimeout: 30_000 });
  let next = 0;
  let errors = 0;
  const loop = async () => {
    for (let i = next++; i < n; i = next++) {
      const id = `msg_${tag}_${i}`;
      const body = webhookBody(id, EVENT_TYPE, Date.now(), eventDataJson(i));
      try {
        const res = await request(sink.hookUrl, {
          method: "POST",
          headers: webhookHeaders(key, id, body),
          body,
          dispatcher,
        });
        await res.body.dump();
        if (res.statusCode < 200 || res.statusCode > 299) errors++;
      } catch {
        errors++;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, loop));
  await dispatcher.close();
  return errors;
}

export async function runRawCeiling(
  sink: Sink,
  opts: { n: number; concurrency: number; warmup: number },
  log: (m: string) => void,
): Promise<RawResult> {
  const secret = generateSecret();
  const key = parseSecret(secret);
  if (opts.warmup > 0) {
    await sink.reset(secret);
    await postLoop(sink, key, opts.warmup, opts.concurrency, `w${randomBytes(3).toString("hex")}`);
  }
  await sink.reset(secret);
  const tag = randomBytes(4).toString("hex");
  const t0 = performance.now();
  const errors = await postLoop(sink, key, opts.n, opts.concurrency, tag);
  const seconds = (performance.now() - t0) / 1000;
  const { times, dups } = await sink.times();
  const stats = await sink.stats();
  let missing = 0;
  for (let i = 0; i < opts.n; i++) if (!times.has(`msg_${tag}_${i}`)) missing++;
  let duplicates = 0;
  for (const n of dups.values()) duplicates += n;
  const result: RawResult = {
    requests: opts.n,
    rps: opts.n / seconds,
    sinkRps: deliveryRate(times.values()).rate,
    missing,
    duplicates,
    errors,
    badSignatures: stats.bad_signatures,
    verified: stats.verified,
  };
  log(
    `  raw: ${opts.n} signed POSTs in ${seconds.toFixed(2)} s = ${Math.round(result.rps)}/s ` +
      `(sink saw ${Math.round(result.sinkRps)}/s), missing ${missing}, errors ${errors}, bad signatures ${result.badSignatures}/${result.verified}`,
  );
  return result;
}
