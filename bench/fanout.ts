/**
 * The fan-out benchmark (`npm run bench:fanout`): how long does one event take to reach every one of many endpoints?
 *
 * For each store (SQLite, then PostgreSQL; one `serve` process with default settings on a fresh database) it creates
 * `BENCH_FANOUT_ENDPOINTS` (1,000) endpoints of one tenant on one event type, all on a local receiver that answers
 * 204 at once, publishes one event, and times the 202 and the first and last of the deliveries. The baseline, in the
 * same run and process: as many events to one endpoint of another tenant. Each endpoint is taken over, sent to and
 * given back on its own, so the ratio says what spreading work over many endpoints costs per delivery.
 * One line per store:
 * BENCH_FANOUT {"store","endpoints","publish_ms","first_ms","last_ms","fanout_rps","one_endpoint_rps","ratio"}
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { HookdProcess } from "./hookd-process.ts";
import { hookdEnv } from "./hookd-runner.ts";
import { runSideBench } from "./side-bench.ts";
import { num } from "./stats.ts";
import { createStore, type StoreKind } from "./stores.ts";

const ENDPOINTS = Number(process.env.BENCH_FANOUT_ENDPOINTS ?? 1_000);
const PG_ADMIN_URL = process.env.BENCH_PG_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
const STORES = (process.env.BENCH_FANOUT_STORES ?? "sqlite,postgres").split(",") as StoreKind[];
const GIVE_UP_MS = 300_000;

const started = performance.now();
const log = (msg: string) => process.stdout.write(`[fanout ${((performance.now() - started) / 1000).toFixed(0).padStart(4)} s] ${msg}\n`);

/** Counts requests by path prefix and remembers when each group's first and last arrived. */
class Receiver {
  private readonly arrivals = new Map<string, number[]>();
  private server: Server | null = null;
  url = "";

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      req.resume();
      req.on("end", () => {
        const group = (req.url ?? "").split("/")[1] ?? "";
        const list = this.arrivals.get(group) ?? [];
        list.push(Date.now());
        this.arrivals.set(group, list);
        res.writeHead(204);
        res.end();
      });
    });
    await new Promise<void>((r) => this.server!.listen(0, "127.0.0.1", r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Waits for `count` arrivals in the group; returns their times (fewer when it gave up). */
  async waitFor(group: string, count: number): Promise<number[]> {
    const until = Date.now() + GIVE_UP_MS;
    while ((this.arrivals.get(group)?.length ?? 0) < count && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    return this.arrivals.get(group) ?? [];
  }

  close(): Promise<void> {
    return new Promise((r) => this.server?.close(() => r()));
  }
}

async function api(base: string, key: string, path: string, body: unknown): Promise<{ created_at?: string }> {
  const res = await fetch(`${base}${path}`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`POST ${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as { created_at?: string };
}

interface Timing {
  publishMs: number;
  firstMs: number;
  lastMs: number;
  delivered: number;
}

async function runStore(kind: StoreKind, receiver: Receiver): Promise<Timing & { oneRps: number }> {
  const store = await createStore(kind, PG_ADMIN_URL, "hookd_bench_fanout");
  const { env, adminKey } = await hookdEnv(store.url);
  // The endpoint quota's default (500) is below the fan-out this measures.
  const hookd = await HookdProcess.start("hookd", { ...env, HOOKD_QUOTA_MAX_ENDPOINTS: String(ENDPOINTS + 10) });
  try {
    const post = (path: string, body: unknown) => api(hookd.url, adminKey, path, body);
    await post("/v1/tenants", { id: "fan", name: "fan-out" });
    await post("/v1/tenants", { id: "one", name: "one endpoint" });
    for (let i = 0; i < ENDPOINTS; i += 50) {
      const batch = Array.from({ length: Math.min(50, ENDPOINTS - i) }, (_, j) => i + j);
      await Promise.all(batch.map((n) => post("/v1/tenants/fan/endpoints", { url: `${receiver.url}/${kind}-fan/${n}`, event_types: ["fan.out"] })));
    }
    await post("/v1/tenants/one/endpoints", { url: `${receiver.url}/${kind}-one/0`, event_types: ["one.endpoint"] });
    log(`${kind}: ${ENDPOINTS} endpoints created`);

    // Baseline: ENDPOINTS events to one endpoint, published in batches of 100.
    const b0 = Date.now();
    for (let i = 0; i < ENDPOINTS; i += 100) {
      const events = Array.from({ length: Math.min(100, ENDPOINTS - i) }, (_, j) => ({ type: "one.endpoint", data: { n: i + j } }));
      await post("/v1/tenants/one/events/batch", { events });
    }
    const one = await receiver.waitFor(`${kind}-one`, ENDPOINTS);
    const oneRps = one.length / Math.max(0.001, (Math.max(...one) - b0) / 1000);

    const p0 = Date.now();
    await post("/v1/tenants/fan/events", { type: "fan.out", data: { order: 42 } });
    const publishMs = Date.now() - p0;
    const fan = await receiver.waitFor(`${kind}-fan`, ENDPOINTS);
    return { publishMs, firstMs: Math.min(...fan) - p0, lastMs: Math.max(...fan) - p0, delivered: fan.length, oneRps };
  } finally {
    const why = hookd.unexpectedExit();
    if (why) log(`  !! ${why}`);
    await hookd.stop();
    await store.drop();
  }
}

async function main(): Promise<number> {
  const receiver = new Receiver();
  await receiver.start();
  let incomplete = false;
  try {
    for (const kind of STORES) {
      const r = await runStore(kind, receiver);
      const fanoutRps = r.delivered / Math.max(0.001, r.lastMs / 1000);
      log(
        `${kind}: one event to ${ENDPOINTS} endpoints: 202 in ${r.publishMs} ms, first delivery ${r.firstMs} ms, last ${r.lastMs} ms (${Math.round(fanoutRps)}/s); ${ENDPOINTS} events to one endpoint: ${Math.round(r.oneRps)}/s`,
      );
      if (r.delivered < ENDPOINTS) {
        incomplete = true;
        log(`  !! only ${r.delivered} of ${ENDPOINTS} deliveries arrived within ${GIVE_UP_MS / 1000} s`);
      }
      process.stdout.write(
        `BENCH_FANOUT ${JSON.stringify({
          store: kind,
          endpoints: ENDPOINTS,
          publish_ms: r.publishMs,
          first_ms: r.firstMs,
          last_ms: r.lastMs,
          fanout_rps: num(fanoutRps, 1),
          one_endpoint_rps: num(r.oneRps, 1),
          ratio: num(fanoutRps / r.oneRps, 3),
        })}\n`,
      );
    }
  } finally {
    await receiver.close();
  }
  return incomplete ? 1 : 0;
}

runSideBench("bench:fanout", STORES, PG_ADMIN_URL, "BENCH_FANOUT_STORES", main);
