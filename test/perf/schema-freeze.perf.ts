/**
 * A hostile schema or event costs its sender, not everyone (issue 13, finding 1). Each attack of the issue is sent
 * while this test polls `/healthz`, and the slowest `/healthz` answer during the attack must stay under 100 ms:
 *
 * - `{"items": {"not": {"pattern": "a*a*b"}}}` over one 256 KB event of 990 strings of 256 "a" (a backtracking
 *   engine needs cubic time for each string: 3-4.5 s in all on the event loop before);
 * - the same with `allOf` of 10 such patterns (35-57 s);
 * - a batch of four such events (21 s);
 * - a schema without any pattern whose references expand to 4,096 checks, over 60,000 short strings: linear
 *   regular expressions do not help here, the time limit does (the attack is answered 422 SCHEMA_TOO_COSTLY).
 *
 * The attacks are accepted or refused with a 4xx; none gets a 5xx. Patterns run on a linear-time engine (RE2), and
 * validation runs on a pool of threads with a time limit per request (src/features/event-types/validation-pool.ts).
 * It measures latency, so it runs with the speed checks (vitest.perf.config.ts), alone on the machine.
 */
import { Worker } from "node:worker_threads";
import { describe, expect, it } from "vitest";
import { request } from "undici";
import { STORE_KINDS } from "../support/stores.ts";
import { ADMIN_KEY, type Json, useHookd } from "../e2e/harness.ts";

const STRINGS = 990;
const A256 = "a".repeat(256);

/** One event's data: 990 strings of 256 "a", just under the 256 KB event limit. */
function hostileData(): Json {
  return { list: Array.from({ length: STRINGS }, () => A256) };
}

/** The schema, applied to the event's array: no string matches `a*a*b`, and each try backtracks. */
function itemsNot(patterns: string[]): Json {
  const not = patterns.map((pattern) => ({ not: { pattern } }));
  return { type: "object", properties: { list: { items: not.length === 1 ? not[0] : { allOf: not } } } };
}

/**
 * References that expand to 4,096 checks on each item, each comparing the item with 41 strings: about 10 billion
 * comparisons on 60,000 items, without a single pattern. Linear-time patterns do not help here; the time limit does.
 */
function expanding(): Json {
  const defs: Json = { d0: { enum: [...Array.from({ length: 40 }, (_, i) => `value-${i}`), "a"] } };
  for (let i = 1; i <= 4; i++) defs[`d${i}`] = { allOf: Array.from({ length: 8 }, () => ({ $ref: `#/$defs/d${i - 1}` })) };
  return { type: "object", $defs: defs, properties: { list: { items: { $ref: "#/$defs/d4" } } } };
}

interface Watch {
  stop: () => Promise<{ max: number; polls: number }>;
}

/**
 * Polls /healthz back to back from another thread until stopped, and reports the slowest answer. The server runs in
 * this test's own thread, so a poller here would be frozen along with it and never see the freeze. watchHealth
 * resolves once the poller has had three answers, so its own start-up is not counted.
 */
async function watchHealth(base: string): Promise<Watch> {
  const poller = new Worker(
    `
    const { parentPort, workerData } = require("node:worker_threads");
    let running = true, max = 0, polls = 0, warm = 0;
    parentPort.on("message", () => { running = false; });
    (async () => {
      while (running) {
        const started = performance.now();
        const res = await fetch(workerData + "/healthz");
        await res.text();
        if (warm < 3) {
          if (++warm === 3) parentPort.postMessage("warm");
        } else {
          max = Math.max(max, performance.now() - started);
          polls++;
        }
        await new Promise((r) => setTimeout(r, 5));
      }
      parentPort.postMessage({ max, polls });
    })();
    `,
    { eval: true, workerData: base },
  );
  await new Promise((resolve) => poller.once("message", resolve));
  return {
    stop: async () => {
      const result = new Promise<{ max: number; polls: number }>((resolve) => poller.once("message", resolve));
      poller.postMessage("stop");
      const r = await result;
      await poller.terminate();
      return r;
    },
  };
}

async function post(base: string, path: string, body: Json): Promise<{ status: number; body: Json; ms: number }> {
  const started = performance.now();
  const res = await request(`${base}${path}`, {
    method: "POST",
    headers: { authorization: `Bearer ${ADMIN_KEY}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  const text = await res.body.text();
  return { status: res.statusCode, body: JSON.parse(text) as Json, ms: performance.now() - started };
}

describe.each(STORE_KINDS)("a hostile schema cannot freeze the API (%s)", (kind) => {
  const h = useHookd(kind);

  async function attack(schema: Json, send: (base: string, tenant: string) => Promise<{ status: number; body: Json; ms: number }>) {
    const tenant = await h.tenant();
    await h.api.expectPost(`/v1/tenants/${tenant}/event-types`, { name: "evil.type", schema }, 201);
    // A first small event warms up whatever validation needs (compiling, threads), outside the measured window.
    await h.api.post(`/v1/tenants/${tenant}/events`, { type: "evil.type", data: { list: ["b"] } });
    const watch = await watchHealth(h.app.url!);
    const res = await send(h.app.url!, tenant);
    const health = await watch.stop();
    expect(res.status, JSON.stringify(res.body).slice(0, 300)).toBeLessThan(500);
    expect(health.polls).toBeGreaterThan(0);
    expect(health.max, `slowest /healthz during the attack (${res.ms.toFixed(0)} ms)`).toBeLessThan(100);
    return res;
  }

  it("one 256 KB event of 990 strings against {items: {not: {pattern: a*a*b}}}", async () => {
    const res = await attack(itemsNot(["a*a*b"]), (base, t) => post(base, `/v1/tenants/${t}/events`, { type: "evil.type", data: hostileData() }));
    expect(res.status).toBe(202);
  });

  it("the same event against allOf of 10 such patterns", async () => {
    const patterns = Array.from({ length: 10 }, (_, i) => `a*a*${"bcdefghijk"[i]}`);
    const res = await attack(itemsNot(patterns), (base, t) => post(base, `/v1/tenants/${t}/events`, { type: "evil.type", data: hostileData() }));
    expect(res.status).toBe(202);
  });

  it("a batch of four such events", async () => {
    const events = Array.from({ length: 4 }, () => ({ type: "evil.type", data: hostileData() }));
    const res = await attack(itemsNot(["a*a*b"]), (base, t) => post(base, `/v1/tenants/${t}/events/batch`, { events }));
    expect(res.status).toBe(202);
  });

  it("a pattern-free schema that expands to thousands of checks per item is cut off by the time limit", async () => {
    const data = { list: Array.from({ length: 60_000 }, () => "a") };
    const res = await attack(expanding(), (base, t) => post(base, `/v1/tenants/${t}/events`, { type: "evil.type", data }));
    expect([res.status, res.body.code]).toEqual([422, "SCHEMA_TOO_COSTLY"]);
    expect(res.ms).toBeLessThan(5_000);
  });
});
