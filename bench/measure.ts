/**
 * Owns one measured run against the sink: reset the sink, drive a load, wait until every accepted event has arrived
 * (or nothing has arrived for the stall timeout), then match receive times to events by id and compute ingest rate,
 * ack latency, delivery rate, end-to-end latency, missing and duplicates.
 */
import type { LoadResult, PacedResult } from "./load.ts";
import type { Sink } from "./sink-client.ts";
import { deliveryRate, percentile, ratePerSecond } from "./stats.ts";

export interface RunMetrics {
  label: string;
  /** Events the system accepted. */
  events: number;
  publishErrors: number;
  publishErrorSamples: string[];
  ingestRps: number;
  ackP50Ms: number;
  ackP99Ms: number;
  deliverRps: number;
  e2eP50Ms: number;
  e2eP99Ms: number;
  e2eMaxMs: number;
  missing: number;
  duplicates: number;
  /** Sampled signature checks at the sink, and how many failed. */
  verified: number;
  badSignatures: number;
  /** From the end of ingest to the last delivery. */
  drainMs: number;
  stalled: boolean;
  offeredRps?: number;
  pacedMode?: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface RunOptions {
  label: string;
  sink: Sink;
  /** Secret the sink checks sampled signatures against. */
  secret: string;
  stallMs: number;
  load: () => Promise<LoadResult>;
  log: (msg: string) => void;
  /** Why waiting for deliveries is pointless (e.g. the delivering process is gone), or null. */
  gone?: () => string | null;
}

/**
 * Waits until `expected` distinct ids reached the sink, or nothing new arrived for `stallMs`, or `gone` says the
 * deliverer is gone, or (when given) the clock passed `deadlineAt`. True when it gave up.
 */
export async function drain(
  sink: Sink,
  expected: number,
  stallMs: number,
  log: (m: string) => void,
  gone: () => string | null = () => null,
  deadlineAt = Number.POSITIVE_INFINITY,
): Promise<boolean> {
  let lastUnique = -1;
  let lastProgress = Date.now();
  let lastLog = Date.now();
  for (;;) {
    const s = await sink.stats();
    if (s.unique >= expected) return false;
    if (Date.now() > deadlineAt) return true;
    const why = gone();
    if (why) {
      log(`  !! ${why}; ${expected - s.unique} of ${expected} deliveries will not arrive`);
      return true;
    }
    if (s.unique !== lastUnique) {
      lastUnique = s.unique;
      lastProgress = Date.now();
    } else if (Date.now() - lastProgress > stallMs) {
      log(`  !! no delivery for ${stallMs} ms with ${expected - s.unique} of ${expected} still missing; giving up`);
      return true;
    }
    if (Date.now() - lastLog > 5000) {
      lastLog = Date.now();
      log(`  .. waiting for deliveries: ${s.unique}/${expected}`);
    }
    await sleep(50);
  }
}

export async function measureRun(opts: RunOptions): Promise<RunMetrics> {
  const { sink, log } = opts;
  await sink.reset(opts.secret);
  const load = await opts.load();
  const expected = load.published;
  let stalled = await drain(sink, expected.length, opts.stallMs, log, opts.gone);
  let { times, dups } = await sink.times();
  let missing = expected.filter((p) => !times.has(p.id)).length;
  // Ids outside this run can push `unique` over the target early; keep waiting for the real ones.
  while (missing > 0 && !stalled) {
    stalled = await drain(sink, times.size + missing, opts.stallMs, log, opts.gone);
    ({ times, dups } = await sink.times());
    missing = expected.filter((p) => !times.has(p.id)).length;
  }
  const stats = await sink.stats();

  const receive: number[] = [];
  const e2e: number[] = [];
  let duplicates = 0;
  for (const p of expected) {
    const t = times.get(p.id);
    if (t === undefined) continue;
    receive.push(t);
    e2e.push(t - p.createdAt);
    duplicates += dups.get(p.id) ?? 0;
  }
  const delivered = deliveryRate(receive);
  const paced = load as Partial<PacedResult>;
  const m: RunMetrics = {
    label: opts.label,
    events: expected.length,
    publishErrors: load.errors,
    publishErrorSamples: load.errorSamples,
    ingestRps: ratePerSecond(expected.length, load.startMs, load.endMs),
    ackP50Ms: percentile(load.ackMs, 50),
    ackP99Ms: percentile(load.ackMs, 99),
    deliverRps: delivered.rate,
    e2eP50Ms: percentile(e2e, 50),
    e2eP99Ms: percentile(e2e, 99),
    e2eMaxMs: percentile(e2e, 100),
    missing,
    duplicates,
    verified: stats.verified,
    badSignatures: stats.bad_signatures,
    drainMs: Number.isFinite(delivered.lastMs) ? delivered.lastMs - load.endMs : Number.NaN,
    stalled,
  };
  if (paced.offeredRps !== undefined) m.offeredRps = paced.offeredRps;
  if (paced.mode !== undefined) m.pacedMode = paced.mode;
  log(
    `  ${m.label}: ${m.events} events, ingest ${Math.round(m.ingestRps)}/s (ack p50 ${m.ackP50Ms.toFixed(1)} ms, ` +
      `p99 ${m.ackP99Ms.toFixed(1)} ms), delivered ${Math.round(m.deliverRps)}/s, e2e p50 ${Math.round(m.e2eP50Ms)} ms ` +
      `p99 ${Math.round(m.e2eP99Ms)} ms, missing ${m.missing}, duplicates ${m.duplicates}` +
      (m.publishErrors ? `, publish errors ${m.publishErrors} (${m.publishErrorSamples[0]})` : "") +
      (m.badSignatures ? `, BAD SIGNATURES ${m.badSignatures}/${m.verified}` : ""),
  );
  return m;
}
