/**
 * Owns building the fleet through hookd's public API only, group by group, and proving each group is in the state the
 * run needs before the measured phase starts:
 *   not due   tenants of endpoints (retry_schedule_s [0, 3600]) on a receiver that answers 500; one event per tenant
 *             fans out to all its endpoints, fails once, and every delivery is then `failed` with its retry an hour
 *             out (checked in GET .../deliveries?status=failed);
 *   breaker   endpoints on the same failing receiver with default settings, given enough events to open their
 *             breaker (checked in the endpoint list's `health.breaker`), then a few more that wait, due, behind it;
 *   hanging   endpoints on a receiver that never answers, each given more deliveries than its max_in_flight;
 *   healthy   endpoints on the sink, default settings, one event type each.
 * Endpoints are created with a few requests in flight; everything else is one small call per tenant or group.
 */
import type { HookdApi } from "./hookd-api.ts";
import { eventData } from "./payload.ts";

export const HEALTHY_TENANT = "fleet-healthy";
export const BREAKER_TENANT = "fleet-breaker";
export const HANGING_TENANT = "fleet-hanging";
export const notDueTenant = (i: number) => `fleet-t${String(i).padStart(4, "0")}`;

/** Events that open a breaker: hookd's default HOOKD_BREAKER_MIN_ATTEMPTS is 10 failures in the window, plus margin. */
const TRIP_EVENTS = 12;
const CREATE_CONCURRENCY = 16;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function ok<T>(what: string, p: Promise<{ status: number; json: T }>, expected: number[]): Promise<T> {
  const { status, json } = await p;
  if (!expected.includes(status)) throw new Error(`${what}: ${status} ${JSON.stringify(json).slice(0, 300)}`);
  return json;
}

export async function createTenant(api: HookdApi, id: string): Promise<void> {
  await ok(`creating tenant ${id}`, api.call("POST", "/v1/tenants", { id, name: id }), [200, 201]);
}

export interface EndpointSpec {
  tenant: string;
  body: Record<string, unknown>;
}

/** Creates the endpoints with a few requests in flight; returns their ids in order. */
export async function createEndpoints(api: HookdApi, specs: EndpointSpec[]): Promise<string[]> {
  const ids: string[] = new Array(specs.length);
  let next = 0;
  const loop = async () => {
    for (let i = next++; i < specs.length; i = next++) {
      const spec = specs[i];
      if (!spec) continue;
      const json = await ok(
        `creating an endpoint in ${spec.tenant}`,
        api.call<{ id: string }>("POST", `/v1/tenants/${spec.tenant}/endpoints`, spec.body),
        [200, 201],
      );
      ids[i] = json.id;
    }
  };
  await Promise.all(Array.from({ length: CREATE_CONCURRENCY }, loop));
  return ids;
}

export async function publish(api: HookdApi, tenant: string, type: string, seq: number): Promise<{ id: string; createdAt: number }> {
  const json = await ok(
    `publishing ${type} to ${tenant}`,
    api.call<{ id: string; created_at: string }>("POST", `/v1/tenants/${tenant}/events`, { type, data: eventData(seq) }),
    [202],
  );
  return { id: json.id, createdAt: Date.parse(json.created_at) };
}

interface DeliveryPage {
  data: { status: string; next_attempt_at: string }[];
}

/**
 * Waits until every not-due tenant lists `perTenant` failed deliveries. Returns the earliest next attempt among
 * them (ms from now), or throws after `timeoutMs` naming how far it got.
 */
export async function awaitNotDue(api: HookdApi, tenants: number, perTenant: number, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  const done = new Set<number>();
  let earliest = Number.POSITIVE_INFINITY;
  while (done.size < tenants) {
    for (let i = 0; i < tenants; i++) {
      if (done.has(i)) continue;
      const page = await ok(
        "listing failed deliveries",
        api.call<DeliveryPage>("GET", `/v1/tenants/${notDueTenant(i)}/deliveries?status=failed&limit=250`),
        [200],
      );
      if (page.data.length >= perTenant) {
        done.add(i);
        for (const d of page.data) earliest = Math.min(earliest, Date.parse(d.next_attempt_at) - Date.now());
      }
    }
    if (done.size >= tenants) break;
    if (Date.now() > deadline) {
      throw new Error(`only ${done.size} of ${tenants} not-due tenants have all ${perTenant} deliveries failed and rescheduled`);
    }
    await sleep(500);
  }
  return earliest;
}

interface EndpointPage {
  data: { id: string; health?: { breaker: string } }[];
  next_cursor: string | null;
}

/** How many of a tenant's endpoints report each breaker state (GET .../endpoints, which carries `health`). */
export async function breakerStates(api: HookdApi, tenant: string): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  let cursor: string | null = null;
  do {
    const query: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : "";
    const page: EndpointPage = await ok(
      "listing endpoints",
      api.call<EndpointPage>("GET", `/v1/tenants/${tenant}/endpoints?limit=250${query}`),
      [200],
    );
    for (const e of page.data) {
      const state = e.health?.breaker ?? "unknown";
      counts[state] = (counts[state] ?? 0) + 1;
    }
    cursor = page.next_cursor;
  } while (cursor);
  return counts;
}

/**
 * Publishes events to the breaker tenant (each fans out to all its endpoints) until every breaker is open, then
 * `backlog` more that stay due behind the open breakers. Returns the breaker states it ended with.
 */
export async function openBreakers(
  api: HookdApi,
  endpoints: number,
  backlog: number,
  timeoutMs: number,
  log: (m: string) => void,
): Promise<Record<string, number>> {
  let seq = 0;
  for (let i = 0; i < TRIP_EVENTS; i++) await publish(api, BREAKER_TENANT, "breaker.event", seq++);
  const deadline = Date.now() + timeoutMs;
  let states = await breakerStates(api, BREAKER_TENANT);
  let rounds = 0;
  while ((states.open ?? 0) < endpoints && Date.now() < deadline) {
    await sleep(500);
    states = await breakerStates(api, BREAKER_TENANT);
    // A breaker still closed once its first events failed needs more failures (a non-default threshold).
    if (++rounds % 10 === 0 && (states.open ?? 0) < endpoints) await publish(api, BREAKER_TENANT, "breaker.event", seq++);
  }
  if ((states.open ?? 0) < endpoints) log(`  !! only ${states.open ?? 0} of ${endpoints} breakers opened: ${JSON.stringify(states)}`);
  for (let i = 0; i < backlog; i++) await publish(api, BREAKER_TENANT, "breaker.event", seq++);
  return states;
}
