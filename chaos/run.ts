/**
 * The chaos suite: hookd under load while its processes are killed with SIGKILL and its database restarts, ending
 * in a verdict that compares every 202 the producer got with what the receivers recorded and what the delivery table
 * says. A run with any accepted event neither delivered nor dead (lost > 0), any delivery still unfinished after the
 * drain, or any gap in an attempt log fails. Duplicates are allowed (at least once) and reported.
 *
 *   npm run chaos                 3 minutes per store (CHAOS_SECONDS), both stores (CHAOS_STORES)
 *   CHAOS_SECONDS=25 npm run chaos   the short version CI runs
 *   CHAOS_PG_RESTART=0            skip the PostgreSQL restart (it is skipped loudly anyway where it cannot be done)
 */
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type HookdProcess, startHookd } from "../test/support/hookd-process.ts";
import { adminQuery, urlForDatabase } from "../test/support/postgres.ts";
import {
  DEAD_SQL,
  EXPIRED_LEASES_SQL,
  GAPS_SQL,
  openChaosDb,
  STATUS_SQL,
  STUCK_SQL,
  UNFINISHED_SQL,
} from "./database.ts";
import { LoadGenerator } from "./load.ts";
import { ChaosReceivers, ENDPOINTS } from "./receivers.ts";

const SECONDS = Number(process.env.CHAOS_SECONDS ?? 180);
const STORES = (process.env.CHAOS_STORES ?? "sqlite,postgres").split(",").map((s) => s.trim());
const PG_RESTART = process.env.CHAOS_PG_RESTART !== "0";
/**
 * The drain ends when nothing is unfinished, or fails when the count has not gone down for DRAIN_STALL_MS (work that is
 * stuck), or after DRAIN_MAX_MS in all. It is not a fixed window: on a fast machine the load leaves the endpoint that
 * answers after 2 s (max_in_flight 16: 8 a second) a backlog of 1,600 or more, which takes minutes to send but is
 * not lost.
 */
const DRAIN_STALL_MS = 60_000;
const DRAIN_MAX_MS = 15 * 60_000;
const ADMIN = `chaos-admin-${randomBytes(8).toString("hex")}`;
const ENCRYPTION_KEY = randomBytes(32).toString("base64");

const log = (msg: string) => process.stdout.write(`[chaos ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as { port: number };
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

function restartPostgres(): boolean {
  try {
    const version = readdirSync("/etc/postgresql")[0];
    if (!version) throw new Error("no cluster under /etc/postgresql");
    execFileSync("pg_ctlcluster", ["--skip-systemctl-redirect", version, "main", "restart", "-m", "fast"], {
      stdio: "pipe",
      timeout: 60_000,
    });
    return true;
  } catch (err) {
    log(`!!! SKIPPING the PostgreSQL restart step: cannot restart the server here (${(err as Error).message})`);
    return false;
  }
}

async function setUp(apiUrl: string, receiversUrl: string): Promise<string[]> {
  const call = async (path: string, body: unknown) => {
    const res = await fetch(`${apiUrl}${path}`, {
      method: "POST",
      headers: { authorization: `Bearer ${ADMIN}`, "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    if (res.status !== 201) throw new Error(`set-up ${path} answered ${res.status}: ${await res.text()}`);
    return (await res.json()) as { id: string };
  };
  await call("/v1/tenants", { id: "chaos", name: "Chaos" });
  const ids: string[] = [];
  for (let i = 0; i < ENDPOINTS; i++) {
    const ep = await call("/v1/tenants/chaos/endpoints", {
      url: `${receiversUrl}/ep/${i}`,
      event_types: [`chaos.${i}`],
      timeout_ms: 3_000,
    });
    ids.push(ep.id);
  }
  return ids;
}

interface Scenario {
  store: "sqlite" | "postgres";
  databaseUrl: string;
  cleanup: () => Promise<void>;
}

async function scenario(store: "sqlite" | "postgres"): Promise<Scenario> {
  if (store === "sqlite") {
    const dir = mkdtempSync(join(tmpdir(), "hookd-chaos-"));
    return { store, databaseUrl: `sqlite:${join(dir, "hookd.db")}`, cleanup: async () => rmSync(dir, { recursive: true }) };
  }
  const name = `hookd_chaos_${randomBytes(4).toString("hex")}`;
  await adminQuery(`CREATE DATABASE ${name}`);
  return {
    store,
    databaseUrl: urlForDatabase(name),
    cleanup: () => adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
  };
}

async function run(store: "sqlite" | "postgres"): Promise<boolean> {
  const sc = await scenario(store);
  const receivers = new ChaosReceivers();
  await receivers.start();
  const port = await freePort();
  const env = {
    HOOKD_DATABASE_URL: sc.databaseUrl,
    HOOKD_HOST: "127.0.0.1",
    HOOKD_PORT: String(port),
    HOOKD_ADMIN_KEY: ADMIN,
    // Required with PostgreSQL; the same for every process of the run, restarts included.
    HOOKD_ENCRYPTION_KEY: ENCRYPTION_KEY,
    HOOKD_ALLOWED_NETWORKS: "127.0.0.0/8",
    HOOKD_RETRY_SCHEDULE: "0,1,1,2,2,3",
    HOOKD_LEASE_MARGIN_MS: "1000",
    HOOKD_POLL_INTERVAL_MS: "100",
    // The verdict needs every delivery to end (delivered or dead) within the drain. An open circuit breaker postpones
    // a dead endpoint's deliveries without spending attempts, by design, so the dropping receiver would never drain:
    // this suite tests durability under kills, not the breaker (which has its own tests), so it never opens here.
    HOOKD_BREAKER_MIN_ATTEMPTS: "100000",
    HOOKD_BREAKER_TIMEOUTS: "1000",
  };
  const apiRole = store === "postgres" ? ["serve", "--role", "api"] : ["serve"];
  let api = await startHookd(env, apiRole);
  const workers: HookdProcess[] = [];
  if (store === "postgres") for (let i = 0; i < 3; i++) workers.push(await startHookd(env, ["serve", "--role", "worker"]));
  const apiUrl = `http://127.0.0.1:${port}`;
  const endpointIds = await setUp(apiUrl, receivers.url);

  const load = new LoadGenerator(apiUrl, ADMIN);
  load.start();
  log(`${store}: load running for ${SECONDS} s with ${store === "postgres" ? "1 API + 3 worker processes" : "1 process"}`);
  const started = Date.now();
  const end = started + SECONDS * 1000;
  let kills = 0;
  let pgRestarts = 0;
  const apiKillsAt = [started + (end - started) / 3, started + (2 * (end - started)) / 3];
  let pgRestartAt = PG_RESTART && store === "postgres" ? started + (end - started) / 2 : Number.POSITIVE_INFINITY;

  while (Date.now() < end) {
    await sleep(store === "postgres" ? 3_000 + Math.random() * 2_000 : 6_000 + Math.random() * 4_000);
    if (Date.now() >= end) break;
    if (store === "sqlite") {
      await api.kill9();
      kills++;
      api = await startHookd(env, apiRole);
      continue;
    }
    const i = Math.floor(Math.random() * workers.length);
    await workers[i]?.kill9();
    kills++;
    workers[i] = await startHookd(env, ["serve", "--role", "worker"]);
    if (apiKillsAt[0] !== undefined && Date.now() >= apiKillsAt[0]) {
      apiKillsAt.shift();
      await api.kill9();
      kills++;
      api = await startHookd(env, apiRole);
      log(`${store}: killed and restarted the API process`);
    }
    if (Date.now() >= pgRestartAt) {
      pgRestartAt = Number.POSITIVE_INFINITY;
      log(`${store}: restarting PostgreSQL`);
      if (restartPostgres()) pgRestarts++;
    }
  }
  await load.stop();
  log(`${store}: load stopped: ${load.accepted.length} accepted, ${load.refused} refused; ${kills} kills; draining`);

  const db = await openChaosDb(sc.databaseUrl);
  const drainDeadline = Date.now() + DRAIN_MAX_MS;
  let unfinished = Number.POSITIVE_INFINITY;
  let lowest = Number.POSITIVE_INFINITY;
  let progressAt = Date.now();
  let reportedAt = Date.now();
  while (Date.now() < drainDeadline && Date.now() - progressAt < DRAIN_STALL_MS) {
    try {
      unfinished = Number((await db.all<{ n: number }>(UNFINISHED_SQL))[0]?.n);
      if (unfinished === 0) break;
      if (unfinished < lowest) {
        lowest = unfinished;
        progressAt = Date.now();
      }
      if (Date.now() - reportedAt >= 30_000) {
        reportedAt = Date.now();
        log(`${store}: draining, ${unfinished} unfinished`);
      }
    } catch {
      // the database may still be coming back
    }
    await sleep(500);
  }

  if (unfinished !== 0) {
    for (const row of await db.all<Record<string, unknown>>(STUCK_SQL)) log(`  still unfinished at ${Date.now()}: ${JSON.stringify(row)}`);
  }
  const expiredLeases = Number((await db.all<{ n: number }>(EXPIRED_LEASES_SQL(Date.now())))[0]?.n);
  const gaps = Number((await db.all<{ n: number }>(GAPS_SQL))[0]?.n);
  const byStatus = Object.fromEntries(
    (await db.all<{ status: string; n: number }>(STATUS_SQL)).map((r) => [r.status, Number(r.n)]),
  );
  const deadPairs = new Set(
    (await db.all<{ event_id: string; endpoint_id: string }>(DEAD_SQL)).map(
      (r) => `${r.event_id}|${endpointIds.indexOf(r.endpoint_id)}`,
    ),
  );
  await db.close();

  let delivered = 0;
  let dead = 0;
  let lost = 0;
  for (const a of load.accepted) {
    const key = `${a.id}|${a.endpoint}`;
    if (receivers.delivered.has(key)) delivered++;
    else if (deadPairs.has(key)) dead++;
    else lost++;
  }
  let duplicates = 0;
  for (const n of receivers.delivered.values()) duplicates += n - 1;

  for (const p of [api, ...workers]) await p.stop().catch(() => undefined);
  await receivers.close();
  await sc.cleanup();

  const result = {
    store,
    accepted: load.accepted.length,
    delivered,
    dead,
    lost,
    duplicates,
    kills,
    pg_restarts: pgRestarts,
    unfinished_after_drain: unfinished,
    expired_leases: expiredLeases,
    attempt_log_gaps: gaps,
    statuses: byStatus,
    seconds: SECONDS,
  };
  process.stdout.write(`CHAOS_RESULT ${JSON.stringify(result)}\n`);
  return lost === 0 && unfinished === 0 && expiredLeases === 0 && gaps === 0 && load.accepted.length > 0;
}

let ok = true;
for (const store of STORES) {
  if (store !== "sqlite" && store !== "postgres") throw new Error(`unknown store ${store}`);
  ok = (await run(store)) && ok;
}
log(ok ? "PASS: nothing accepted was lost" : "FAIL: see CHAOS_RESULT above");
process.exit(ok ? 0 : 1);
