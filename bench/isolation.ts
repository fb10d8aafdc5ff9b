/**
 * The noisy-neighbour benchmark (`npm run bench:isolation`): does one broken endpoint slow the others down?
 *
 * For each store (SQLite, then PostgreSQL; one `serve` process each, on a fresh database per run) it runs hookd twice
 * under the same open-loop load of `BENCH_ISO_RATE` healthy events a second for `BENCH_ISO_SECONDS`, spread over 9
 * healthy endpoints on the bench sink (a child process answering 204):
 *   clean: only the 9 healthy endpoints;
 *   noisy: plus a 10th endpoint on a receiver that accepts the request and never answers (every attempt runs into
 *          the endpoint's 15 s timeout), which gets as many events again: half of all events.
 *   slow tenant: the 9 healthy endpoints, and another tenant with 70 endpoints on a receiver that answers 200 after
 *          29 s (just inside the default 30 s timeout: slow successes never trip a breaker), which publishes one
 *          event a second, so each second adds 70 requests that hold a connection for 29 s (about 2,000 open at
 *          once, more than a worker's 1,024 open requests): only a per-tenant share of the worker keeps the first
 *          tenant's deliveries moving.
 * It reports the healthy endpoints' delivered rate (first to last receive at the sink) and their creation-to-delivery
 * p50/p99 (created_at of the 202 answer to the sink's first receive), side by side, and the ratio of each disturbed
 * run to the clean one, then one line per store and scenario:
 * BENCH_ISOLATION {"store","scenario","clean_rps","noisy_rps","ratio","healthy_p99_ms"}. Targets: ratio >= 0.9 and
 * healthy p99 under 1 s. A run where a healthy event never arrives is void (exit 1).
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Pool } from "undici";
import { generateSecret } from "../src/signing/secret.ts";
import { HookdProcess } from "./hookd-process.ts";
import { hookdEnv } from "./hookd-runner.ts";
import type { IngestTarget, Published } from "./load.ts";
import { pacedLoad } from "./load.ts";
import { eventData } from "./payload.ts";
import { runSideBench } from "./side-bench.ts";
import { Sink } from "./sink-client.ts";
import { deliveryRate, num, percentile } from "./stats.ts";
import { createStore, type StoreKind } from "./stores.ts";

const HEALTHY = 9;
const TENANT = "noisy";
/** The slow tenant: endpoints, how long each request takes, and events a second. */
const SLOW_TENANT = "slowpoke";
const SLOW_ENDPOINTS = 70;
const SLOW_ANSWER_MS = 29_000;
const SLOW_EVENTS_PER_S = 1;

type Scenario = "clean" | "never-answering" | "slow-tenant";

function intFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === "") return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a whole number >= 1, got ${JSON.stringify(raw)}`);
  return n;
}

const RATE = intFromEnv("BENCH_ISO_RATE", 500);
const SECONDS = intFromEnv("BENCH_ISO_SECONDS", 20);
const PG_ADMIN_URL = process.env.BENCH_PG_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
const STORES: StoreKind[] = (process.env.BENCH_ISO_STORES ?? "sqlite,postgres").split(",") as StoreKind[];

const started = performance.now();
const log = (msg: string) =>
  process.stdout.write(`[isolation ${((performance.now() - started) / 1000).toFixed(0).padStart(4)} s] ${msg}\n`);

/** A receiver that takes every request and never answers: the broken endpoint. */
async function startHangingReceiver(): Promise<{ url: string; server: Server }> {
  const server = createServer(() => undefined);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hang`, server };
}

/** A receiver that answers 200 after SLOW_ANSWER_MS: the slow tenant's endpoints. */
async function startSlowReceiver(): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    req.resume();
    const timer = setTimeout(() => res.writeHead(200).end("ok"), SLOW_ANSWER_MS);
    res.on("close", () => clearTimeout(timer));
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/slow`, server };
}

/** Publishes through hookd's API; in the noisy run every other event goes to the broken endpoint. */
class NoisyPublisher implements IngestTarget {
  private readonly pool: Pool;
  readonly healthy = new Set<string>();

  constructor(
    private readonly url: string,
    private readonly adminKey: string,
    private readonly noisy: boolean,
  ) {
    this.pool = new Pool(url, { connections: 16 });
  }

  private async call<T>(method: "POST", path: string, body: unknown): Promise<{ status: number; json: T }> {
    const res = await this.pool.request({
      method,
      path,
      headers: { authorization: `Bearer ${this.adminKey}`, "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    const text = await res.body.text();
    return { status: res.statusCode, json: (text ? JSON.parse(text) : null) as T };
  }

  /** The slow tenant and its endpoints (slow-tenant scenario). */
  async setUpSlowTenant(slowUrl: string): Promise<void> {
    const tenant = await this.call("POST", "/v1/tenants", { id: SLOW_TENANT, name: "Slow neighbour" });
    if (tenant.status !== 201) throw new Error(`creating the slow tenant: ${tenant.status}`);
    for (let i = 0; i < SLOW_ENDPOINTS; i++) {
      const res = await this.call("POST", `/v1/tenants/${SLOW_TENANT}/endpoints`, { url: `${slowUrl}?ep=${i}`, event_types: ["slow.*"] });
      if (res.status !== 201) throw new Error(`creating a slow endpoint: ${res.status} ${JSON.stringify(res.json)}`);
    }
  }

  /** One event to the slow tenant: a request to each of its 70 endpoints. */
  async publishSlow(n: number): Promise<void> {
    const res = await this.call("POST", `/v1/tenants/${SLOW_TENANT}/events`, { type: "slow.event", data: { n } });
    if (res.status !== 202) throw new Error(`slow publish: ${res.status}`);
  }

  async setUp(sinkUrl: string, hangUrl: string, secret: string): Promise<void> {
    const tenant = await this.call("POST", "/v1/tenants", { id: TENANT, name: "Noisy neighbours" });
    if (tenant.status !== 201) throw new Error(`creating the tenant: ${tenant.status}`);
    const endpoints = Array.from({ length: HEALTHY }, (_, i) => ({ url: `${sinkUrl}?ep=${i}`, type: `healthy${i}.*` }));
    if (this.noisy) endpoints.push({ url: hangUrl, type: "broken.*" });
    for (const ep of endpoints) {
      const res = await this.call("POST", `/v1/tenants/${TENANT}/endpoints`, { url: ep.url, event_types: [ep.type], secret });
      if (res.status !== 201) throw new Error(`creating an endpoint: ${res.status} ${JSON.stringify(res.json)}`);
    }
  }

  /** Event `seq`'s type: in the noisy run odd sequence numbers go to the broken endpoint (half of all events). */
  private typeOf(seq: number): { type: string; healthy: boolean } {
    if (this.noisy && seq % 2 === 1) return { type: "broken.event", healthy: false };
    const n = this.noisy ? seq / 2 : seq;
    return { type: `healthy${n % HEALTHY}.event`, healthy: true };
  }

  async publishOne(seq: number): Promise<Published> {
    const [p] = await this.publishBatch([seq]);
    if (!p) throw new Error("empty answer");
    return p;
  }

  async publishBatch(seqs: number[]): Promise<Published[]> {
    const typed = seqs.map((seq) => ({ seq, ...this.typeOf(seq) }));
    const { status, json } = await this.call<{ data: { id: string; created_at: string }[] }>(
      "POST",
      `/v1/tenants/${TENANT}/events/batch`,
      { events: typed.map((t) => ({ type: t.type, data: eventData(t.seq) })) },
    );
    if (status !== 202) throw new Error(`batch publish: ${status} ${JSON.stringify(json).slice(0, 200)}`);
    return json.data.map((e, i) => {
      if (typed[i]?.healthy) this.healthy.add(e.id);
      return { id: e.id, createdAt: Date.parse(e.created_at) };
    });
  }

  /** Healthy events whose delivery has not succeeded, with their state: why a run went missing. */
  async stuck(ids: string[]): Promise<string[]> {
    const out: string[] = [];
    for (const id of ids.slice(0, 5)) {
      const res = await this.pool.request({
        method: "GET",
        path: `/v1/tenants/${TENANT}/events/${id}`,
        headers: { authorization: `Bearer ${this.adminKey}` },
      });
      out.push(`${id}: ${(await res.body.text()).slice(0, 600)}`);
    }
    return out;
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}

interface RunResult {
  healthyRps: number;
  p50Ms: number;
  p99Ms: number;
  healthyEvents: number;
  missing: number;
  publishErrors: number;
}

async function runOnce(kind: StoreKind, scenario: Scenario, sink: Sink, hangUrl: string, slowUrl: string): Promise<RunResult> {
  const noisy = scenario === "never-answering";
  const store = await createStore(kind, PG_ADMIN_URL);
  let hookd: HookdProcess | null = null;
  const publisher: { current: NoisyPublisher | null } = { current: null };
  try {
    const { env, adminKey } = await hookdEnv(store.url);
    // In-flight requests to the broken endpoint would otherwise hold the shutdown for the whole grace period.
    hookd = await HookdProcess.start("hookd", { ...env, HOOKD_SHUTDOWN_GRACE_MS: "1000" });
    const secret = generateSecret();
    const pub = new NoisyPublisher(hookd.url, adminKey, noisy);
    publisher.current = pub;
    await pub.setUp(sink.hookUrl, hangUrl, secret);
    if (scenario === "slow-tenant") await pub.setUpSlowTenant(slowUrl);
    await sink.reset(secret);
    // The slow tenant publishes beside the load, from a second before it until it ends.
    let slowing = scenario === "slow-tenant";
    let slowErrors = 0;
    const slowLoop = (async () => {
      for (let n = 0; slowing; n++) {
        await pub.publishSlow(n).catch(() => slowErrors++);
        await new Promise((r) => setTimeout(r, 1_000 / SLOW_EVENTS_PER_S));
      }
    })();
    if (slowing) await new Promise((r) => setTimeout(r, 1_000));
    // Twice the events in the noisy run: the healthy endpoints get the same load, the broken one as much again.
    const rate = noisy ? RATE * 2 : RATE;
    const load = await pacedLoad(pub, rate, SECONDS, "batch", 0).finally(() => (slowing = false));
    await slowLoop;
    const healthy = load.published.filter((p) => pub.healthy.has(p.id));
    // Wait for every healthy event (or give up after 30 s without progress).
    let last = -1;
    let lastProgress = Date.now();
    for (;;) {
      const s = await sink.stats();
      if (s.unique >= healthy.length) break;
      if (s.unique !== last) {
        last = s.unique;
        lastProgress = Date.now();
      } else if (Date.now() - lastProgress > 30_000) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const { times } = await sink.times();
    const e2e: number[] = [];
    const received: number[] = [];
    let missing = 0;
    for (const p of healthy) {
      const t = times.get(p.id);
      if (t === undefined) {
        missing++;
        continue;
      }
      received.push(t);
      e2e.push(t - p.createdAt);
    }
    if (missing > 0) {
      const ids = healthy.filter((p) => !times.has(p.id)).map((p) => p.id);
      for (const line of await pub.stuck(ids)) log(`  !! missing ${line}`);
    }
    return {
      healthyRps: deliveryRate(received).rate,
      p50Ms: percentile(e2e, 50),
      p99Ms: percentile(e2e, 99),
      healthyEvents: healthy.length,
      missing,
      publishErrors: load.errors + slowErrors,
    };
  } finally {
    await publisher.current?.close();
    if (hookd) {
      const why = hookd.unexpectedExit();
      if (why) log(`  !! ${why}`);
      await hookd.stop();
    }
    await store.drop();
  }
}

async function main(): Promise<number> {
  log(
    `${HEALTHY} healthy endpoints, ${RATE} healthy events/s for ${SECONDS} s per run; the never-answering run adds an endpoint that never answers with as many events again, the slow-tenant run another tenant with ${SLOW_ENDPOINTS} endpoints answering after ${SLOW_ANSWER_MS / 1000} s and ${SLOW_EVENTS_PER_S} event/s`,
  );
  const sink = await Sink.start();
  const hang = await startHangingReceiver();
  const slow = await startSlowReceiver();
  const lines: string[] = [];
  let void_ = false;
  try {
    for (const kind of STORES) {
      log(`${kind}: clean run`);
      const clean = await runOnce(kind, "clean", sink, hang.url, slow.url);
      const row = (name: string, r: RunResult) =>
        `  ${name.padEnd(15)} healthy ${String(Math.round(r.healthyRps)).padStart(6)}/s   p50 ${String(Math.round(r.p50Ms)).padStart(5)} ms   p99 ${String(Math.round(r.p99Ms)).padStart(5)} ms   (${r.healthyEvents} healthy events, ${r.missing} missing, ${r.publishErrors} publish errors)`;
      const report = [row("clean", clean)];
      if (clean.missing > 0 || clean.publishErrors > 0) void_ = true;
      for (const scenario of ["never-answering", "slow-tenant"] as const) {
        log(`${kind}: ${scenario} run`);
        const disturbed = await runOnce(kind, scenario, sink, hang.url, slow.url);
        const ratio = disturbed.healthyRps / clean.healthyRps;
        report.push(`${row(scenario, disturbed)}   ratio ${ratio.toFixed(3)}`);
        if (disturbed.missing > 0 || disturbed.publishErrors > 0) void_ = true;
        lines.push(
          `BENCH_ISOLATION ${JSON.stringify({
            store: kind,
            scenario,
            clean_rps: num(clean.healthyRps, 1),
            noisy_rps: num(disturbed.healthyRps, 1),
            ratio: num(ratio, 3),
            healthy_p99_ms: num(disturbed.p99Ms, 1),
          })}`,
        );
      }
      log(`${kind}:\n${report.join("\n")}`);
    }
  } finally {
    for (const s of [hang.server, slow.server]) {
      s.closeAllConnections();
      s.close();
    }
    await sink.stop();
  }
  for (const line of lines) process.stdout.write(`${line}\n`);
  if (void_) process.stdout.write("VOID: healthy events went missing or publishes were refused\n");
  return void_ ? 1 : 0;
}

runSideBench("bench:isolation", STORES, PG_ADMIN_URL, "BENCH_ISO_STORES", main);
