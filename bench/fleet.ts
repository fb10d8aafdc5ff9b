/**
 * Owns the fleet run: does a healthy endpoint still get its events at once when the same hookd holds thousands of
 * endpoints with nothing due, some with an open breaker and some stuck at max_in_flight on a receiver that hangs?
 * That is the multi-tenant case hookd exists for. On a fresh database and one `serve` process with default settings
 * (per store), through the public API only (fleet-setup.ts):
 *   1. creates every endpoint: BENCH_FLEET_TENANTS x BENCH_FLEET_ENDPOINTS_PER_TENANT not due, BENCH_FLEET_BREAKER
 *      with a breaker to open, BENCH_FLEET_HANGING on the hanging receiver, BENCH_FLEET_HEALTHY on the sink;
 *   2. opens every breaker, then gives each breaker endpoint BENCH_FLEET_BREAKER_BACKLOG deliveries that wait behind it;
 *   3. one event per not-due tenant: every not-due endpoint's delivery fails once and waits for its retry in an hour;
 *   4. gives each hanging endpoint BENCH_FLEET_HANGING_BACKLOG deliveries (more than its max_in_flight, 16) and waits
 *      until the receiver holds as many requests as hookd will send it;
 *   5. measures: BENCH_FLEET_RATE events/s for BENCH_FLEET_SECONDS, single publishes spread over the healthy
 *      endpoints; e2e is the 202's created_at to the sink's first receive. The run waits at most BENCH_FLEET_WAIT_S
 *      after the load for the last healthy event; any still missing make the run VOID, and a percentile that falls
 *      on a missing event is reported as unknown (it is at least the wait).
 * Failed attempts and breaker warnings in hookd's log are the point of the run here, so they are counted, not listed
 * as problems; a crash or a refused publish is a problem.
 */
import { generateSecret } from "../src/signing/secret.ts";
import type { BenchConfig } from "./config.ts";
import {
  awaitNotDue,
  BREAKER_TENANT,
  breakerStates,
  createEndpoints,
  createTenant,
  type EndpointSpec,
  HANGING_TENANT,
  HEALTHY_TENANT,
  notDueTenant,
  openBreakers,
  publish,
} from "./fleet-setup.ts";
import { FleetReceiver } from "./fleet-receiver-client.ts";
import { HookdApi } from "./hookd-api.ts";
import { HookdProcess } from "./hookd-process.ts";
import { hookdEnv } from "./hookd-runner.ts";
import { type IngestTarget, pacedLoad, type Published } from "./load.ts";
import type { Sink } from "./sink-client.ts";
import { deliveryRate, percentile } from "./stats.ts";
import { createStore, type StoreKind } from "./stores.ts";

/** hookd's default per-endpoint max_in_flight: what a hanging endpoint can hold at most. */
const DEFAULT_MAX_IN_FLIGHT = 16;

export interface FleetResult {
  store: StoreKind;
  endpoints: { notDue: number; breaker: number; hanging: number; healthy: number };
  /** Seconds spent creating the endpoints, and on each group's setup. */
  setupS: { endpoints: number; notDue: number; breaker: number; hanging: number };
  endpointsPerS: number;
  /** Earliest scheduled retry of the not-due deliveries, seconds from when they were checked. */
  notDueEarliestRetryS: number;
  breakersAtStart: Record<string, number>;
  breakersAtEnd: Record<string, number>;
  /** Requests the hanging receiver held when the measured phase started, and the most hookd could send it. */
  hangingHeld: number;
  hangingWanted: number;
  healthyEvents: number;
  delivered: number;
  missing: number;
  offeredRps: number;
  deliveredRps: number;
  e2eP50Ms: number;
  e2eP99Ms: number;
  e2eMaxMs: number;
  /** How long after the load ended the run waited; a missing event's e2e is at least this plus its age then. */
  waitedS: number;
  publishErrors: number;
  /** What hookd logged (expected here): failed attempts, warn/error lines by message. */
  logNotes: string[];
  problems: string[];
  totalS: number;
  error?: string;
}

/** Single publishes to the healthy tenant, event `seq` to healthy endpoint `seq % endpoints`. */
class HealthyPublisher implements IngestTarget {
  constructor(
    private readonly api: HookdApi,
    private readonly endpoints: number,
  ) {}

  publishOne(seq: number): Promise<Published> {
    return publish(this.api, HEALTHY_TENANT, `healthy${seq % this.endpoints}.event`, seq);
  }

  async publishBatch(seqs: number[]): Promise<Published[]> {
    return Promise.all(seqs.map((seq) => this.publishOne(seq)));
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Nearest-rank percentile where a missing event counts as slower than any delivered one; NaN when it lands on one. */
export function percentileWithMissing(delivered: number[], missing: number, p: number): number {
  const all = [...delivered, ...Array.from({ length: missing }, () => Number.POSITIVE_INFINITY)];
  const v = percentile(all, p);
  return Number.isFinite(v) ? v : Number.NaN;
}

export async function runFleet(kind: StoreKind, cfg: BenchConfig, sink: Sink, log: (m: string) => void): Promise<FleetResult> {
  const f = cfg.fleet;
  const t0 = performance.now();
  const secs = (from: number) => (performance.now() - from) / 1000;
  const result: FleetResult = {
    store: kind,
    endpoints: {
      notDue: f.notDueTenants * f.notDuePerTenant,
      breaker: f.breakerEndpoints,
      hanging: f.hangingEndpoints,
      healthy: f.healthyEndpoints,
    },
    setupS: { endpoints: Number.NaN, notDue: Number.NaN, breaker: Number.NaN, hanging: Number.NaN },
    endpointsPerS: Number.NaN,
    notDueEarliestRetryS: Number.NaN,
    breakersAtStart: {},
    breakersAtEnd: {},
    hangingHeld: 0,
    hangingWanted: f.hangingEndpoints * DEFAULT_MAX_IN_FLIGHT,
    healthyEvents: 0,
    delivered: 0,
    missing: 0,
    offeredRps: Number.NaN,
    deliveredRps: Number.NaN,
    e2eP50Ms: Number.NaN,
    e2eP99Ms: Number.NaN,
    e2eMaxMs: Number.NaN,
    waitedS: 0,
    publishErrors: 0,
    logNotes: [],
    problems: [],
    totalS: 0,
  };
  const receiver = await FleetReceiver.start();
  const store = await createStore(kind, cfg.pgAdminUrl);
  let hookd: HookdProcess | null = null;
  let api: HookdApi | null = null;
  try {
    const { env, adminKey } = await hookdEnv(store.url);
    hookd = await HookdProcess.start("hookd", env);
    const proc = hookd;
    api = new HookdApi(proc.url, adminKey, HEALTHY_TENANT, 16);
    const secret = generateSecret();

    // 1. Every endpoint, through the API.
    let t = performance.now();
    const tenants = [...Array.from({ length: f.notDueTenants }, (_, i) => notDueTenant(i)), BREAKER_TENANT, HANGING_TENANT, HEALTHY_TENANT];
    for (const id of tenants) await createTenant(api, id);
    const specs: EndpointSpec[] = [];
    for (let i = 0; i < f.notDueTenants; i++) {
      for (let j = 0; j < f.notDuePerTenant; j++) {
        specs.push({
          tenant: notDueTenant(i),
          body: { url: receiver.failUrl("notdue"), event_types: ["notdue.*"], retry_schedule_s: [0, 3600] },
        });
      }
    }
    for (let i = 0; i < f.breakerEndpoints; i++) {
      specs.push({ tenant: BREAKER_TENANT, body: { url: receiver.failUrl("breaker"), event_types: ["breaker.*"] } });
    }
    for (let i = 0; i < f.hangingEndpoints; i++) {
      specs.push({ tenant: HANGING_TENANT, body: { url: receiver.hangUrl, event_types: ["hang.*"] } });
    }
    for (let i = 0; i < f.healthyEndpoints; i++) {
      specs.push({ tenant: HEALTHY_TENANT, body: { url: `${sink.hookUrl}?ep=${i}`, event_types: [`healthy${i}.*`], secret } });
    }
    await createEndpoints(api, specs);
    result.setupS.endpoints = secs(t);
    result.endpointsPerS = specs.length / result.setupS.endpoints;
    log(`  ${specs.length} endpoints in ${tenants.length} tenants created in ${result.setupS.endpoints.toFixed(1)} s (${Math.round(result.endpointsPerS)}/s)`);

    // 2. Open breakers, with deliveries waiting behind them. First, while nothing else has work: opening them takes
    // a dozen failed attempts each, which a claim that wades through 10,000 endpoints' retries would delay.
    if (f.breakerEndpoints > 0) {
      t = performance.now();
      const tripped = await openBreakers(api, f.breakerEndpoints, f.breakerBacklog, 60_000, log);
      result.setupS.breaker = secs(t);
      log(`  breakers after ${result.setupS.breaker.toFixed(1)} s: ${JSON.stringify(tripped)}`);
    }

    // 3. Not due: one failed attempt each, the retry an hour out.
    t = performance.now();
    for (let i = 0; i < f.notDueTenants; i++) await publish(api, notDueTenant(i), "notdue.event", i);
    const earliestMs = await awaitNotDue(api, f.notDueTenants, f.notDuePerTenant, 120_000);
    result.notDueEarliestRetryS = earliestMs / 1000;
    result.setupS.notDue = secs(t);
    log(
      `  ${result.endpoints.notDue} not-due deliveries failed and rescheduled in ${result.setupS.notDue.toFixed(1)} s ` +
        `(earliest retry in ${Math.round(result.notDueEarliestRetryS / 60)} min)`,
    );
    // An open breaker lets one probe through per cool-down (30 s, then doubling); it reads "half_open" while the probe
    // is out and "open" again once it failed. What counts is that none is closed.
    if (f.breakerEndpoints > 0) {
      result.breakersAtStart = await breakerStates(api, BREAKER_TENANT);
      log(`  breakers before the measured phase: ${JSON.stringify(result.breakersAtStart)}`);
    }

    // 4. Hanging endpoints at max_in_flight: wait until the receiver holds all it will get.
    if (f.hangingEndpoints > 0) {
      t = performance.now();
      for (let i = 0; i < f.hangingBacklog; i++) await publish(api, HANGING_TENANT, "hang.event", i);
      // Settled once the count held still for 2 s (it never reaches the maximum when hookd has fewer slots than the
      // group wants); a hookd that sends them none at all is given 10 s.
      let last = -1;
      let stableSince = Date.now();
      const deadline = Date.now() + 10_000;
      for (;;) {
        const held = (await receiver.stats()).hanging_open;
        if (held !== last) {
          last = held;
          stableSince = Date.now();
        }
        if (held >= result.hangingWanted || (held > 0 && Date.now() - stableSince >= 2000) || Date.now() > deadline) break;
        await sleep(100);
      }
      result.hangingHeld = last;
      result.setupS.hanging = secs(t);
      log(`  hanging receiver holds ${last} requests (${f.hangingEndpoints} endpoints x max_in_flight ${DEFAULT_MAX_IN_FLIGHT} = ${result.hangingWanted})`);
    }

    // 5. The measured phase.
    await sink.reset(secret);
    log(`  healthy load: ${f.healthyRate} events/s for ${f.healthySeconds} s over ${f.healthyEndpoints} endpoints`);
    const load = await pacedLoad(new HealthyPublisher(api, f.healthyEndpoints), f.healthyRate, f.healthySeconds, "single", 0);
    result.publishErrors = load.errors;
    result.offeredRps = load.offeredRps;
    const expected = load.published;
    result.healthyEvents = expected.length;
    const waitStart = Date.now();
    let lastLog = Date.now();
    for (;;) {
      const s = await sink.stats();
      if (s.unique >= expected.length) break;
      if (proc.unexpectedExit()) break;
      if (Date.now() - waitStart > f.waitSeconds * 1000) break;
      if (Date.now() - lastLog > 5000) {
        lastLog = Date.now();
        log(`  .. waiting for healthy deliveries: ${s.unique}/${expected.length}`);
      }
      await sleep(100);
    }
    result.waitedS = (Date.now() - waitStart) / 1000;
    const { times } = await sink.times();
    const e2e: number[] = [];
    const received: number[] = [];
    for (const p of expected) {
      const at = times.get(p.id);
      if (at === undefined) continue;
      received.push(at);
      e2e.push(at - p.createdAt);
    }
    result.delivered = e2e.length;
    result.missing = expected.length - e2e.length;
    // A rate from a handful of receive times says nothing.
    result.deliveredRps = received.length >= 10 ? deliveryRate(received).rate : Number.NaN;
    result.e2eP50Ms = percentileWithMissing(e2e, result.missing, 50);
    result.e2eP99Ms = percentileWithMissing(e2e, result.missing, 99);
    result.e2eMaxMs = result.missing > 0 ? Number.NaN : percentile(e2e, 100);
    if (f.breakerEndpoints > 0) result.breakersAtEnd = await breakerStates(api, BREAKER_TENANT);
    log(
      `  healthy: ${result.delivered}/${expected.length} delivered, ` +
        `${Number.isFinite(result.deliveredRps) ? `${Math.round(result.deliveredRps)}/s` : "too few for a rate"}, ` +
        `e2e p50 ${fmtMs(result.e2eP50Ms)} p99 ${fmtMs(result.e2eP99Ms)}` +
        (result.missing > 0 ? `, ${result.missing} MISSING after waiting ${result.waitedS.toFixed(0)} s` : ""),
    );
  } catch (err) {
    result.error = err instanceof Error ? err.message : String(err);
    log(`  !! fleet on ${kind} failed: ${result.error}`);
  } finally {
    await api?.close();
    // Drop the held requests first, so hookd's graceful stop is not held up by them.
    await receiver.release().catch(() => undefined);
    if (hookd) {
      const gone = hookd.unexpectedExit();
      if (gone) result.problems.push(gone);
      const stop = await hookd.stop();
      if (!gone && stop.code !== 0) result.problems.push(`hookd exited with code ${stop.code} after SIGTERM`);
      if (hookd.findings.failedAttempts > 0) result.logNotes.push(`${hookd.findings.failedAttempts} failed attempts`);
      for (const [msg, n] of hookd.findings.warnOrWorse) result.logNotes.push(`${n} x "${msg}"`);
    }
    if (result.publishErrors > 0) result.problems.push(`${result.publishErrors} healthy publishes refused`);
    await store.drop();
    await receiver.stop();
    result.totalS = secs(t0);
  }
  for (const p of result.problems) log(`  !! ${p}`);
  return result;
}

export function fmtMs(ms: number): string {
  return Number.isFinite(ms) ? `${Math.round(ms)} ms` : "unknown";
}

/** The fleet run is VOID when it failed or a healthy event never arrived. */
export function fleetVoidReason(r: FleetResult | undefined): string | null {
  if (!r) return "not run";
  if (r.error) return `failed: ${r.error}`;
  if (r.missing > 0) return `${r.missing} healthy events missing after ${Math.round(r.waitedS)} s`;
  if (r.problems.length > 0) return r.problems[0] ?? "problems";
  return null;
}
