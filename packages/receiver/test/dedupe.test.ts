/**
 * Deduplication by webhook-id, on the in-memory store and on a real Redis through both common clients: a handled id
 * is a duplicate afterwards, a failed one is handled again, a copy that arrives while the first is being handled is
 * told to come back, two racing copies never both run, and expiry frees ids (a crashed handler's claim included).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDeduper, type DedupeStore, MemoryDedupeStore, RedisDedupeStore } from "../src/index.js";
import { ioredisClient, nodeRedisClient, testPrefix } from "./support/redis.js";

const done = <T>(value: T) => async () => ({ done: true, value });

/** The behaviour every store must show; `wait(ms)` lets real time pass for the expiry cases (Redis expires keys by its own clock). */
function storeContract(name: string, makeStore: () => DedupeStore, wait: (ms: number) => Promise<void>) {
  describe(name, () => {
    it("runs a handler once per id; later copies are duplicates", async () => {
      const dedupe = createDeduper({ store: makeStore() });
      let runs = 0;
      const handle = async () => ({ done: true, value: ++runs });
      expect(await dedupe.run("evt_1", handle)).toEqual({ status: "handled", value: 1 });
      expect(await dedupe.run("evt_1", handle)).toEqual({ status: "duplicate" });
      expect(await dedupe.run("evt_2", handle)).toEqual({ status: "handled", value: 2 });
      expect(runs).toBe(2);
    });

    it("handles an id again after a failure, whether the handler threw or declined", async () => {
      const dedupe = createDeduper({ store: makeStore() });
      await expect(dedupe.run("evt_1", () => Promise.reject(new Error("boom")))).rejects.toThrow("boom");
      expect(await dedupe.run("evt_1", async () => ({ done: false, value: "500" }))).toEqual({ status: "handled", value: "500" });
      expect(await dedupe.run("evt_1", done("ok"))).toEqual({ status: "handled", value: "ok" });
      expect(await dedupe.run("evt_1", done("again"))).toEqual({ status: "duplicate" });
    });

    it("tells a copy that arrives mid-handling to come back, and lets exactly one of racing copies run", async () => {
      const dedupe = createDeduper({ store: makeStore() });
      let release!: () => void;
      let started!: () => void;
      const running = new Promise<void>((r) => (started = r));
      const first = dedupe.run("evt_1", () => {
        started();
        return new Promise<{ done: boolean; value: string }>((r) => (release = () => r({ done: true, value: "first" })));
      });
      await running;
      expect(await dedupe.run("evt_1", done("second"))).toEqual({ status: "in_progress" });
      release();
      expect(await first).toEqual({ status: "handled", value: "first" });

      let runs = 0;
      const outcomes = await Promise.all(
        Array.from({ length: 8 }, () => dedupe.run("evt_2", async () => ({ done: true, value: ++runs }))),
      );
      expect(runs).toBe(1);
      expect(outcomes.filter((o) => o.status === "handled")).toHaveLength(1);
    });

    it("forgets a handled id after ttlMs, and frees a claim whose handler never finished after processingTtlMs", async () => {
      const store = makeStore();
      const dedupe = createDeduper({ store, ttlMs: 150, processingTtlMs: 150 });
      expect(await dedupe.run("evt_1", done(1))).toEqual({ status: "handled", value: 1 });
      expect(await dedupe.run("evt_1", done(2))).toEqual({ status: "duplicate" });
      // A crashed handler: claimed, never completed nor released.
      const crashed = await store.claim("evt_2", 150);
      expect(crashed.state).toBe("claimed");
      expect(await dedupe.run("evt_2", done(3))).toEqual({ status: "in_progress" });
      await wait(300);
      expect(await dedupe.run("evt_1", done(4))).toEqual({ status: "handled", value: 4 });
      expect(await dedupe.run("evt_2", done(5))).toEqual({ status: "handled", value: 5 });
      // The crashed claim's late completion must not touch the claim that took over and finished.
      if (crashed.state === "claimed") await store.release("evt_2", crashed.token);
      expect(await dedupe.run("evt_2", done(6))).toEqual({ status: "duplicate" });
    });
  });
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

storeContract("MemoryDedupeStore", () => new MemoryDedupeStore(), sleep);

describe("MemoryDedupeStore bounds", () => {
  it("forgets the oldest ids beyond maxEntries", async () => {
    const store = new MemoryDedupeStore({ maxEntries: 3 });
    const dedupe = createDeduper({ store });
    for (const id of ["a", "b", "c", "d"]) await dedupe.run(id, done(id));
    expect(store.size).toBe(3);
    expect(await dedupe.run("a", done("a2"))).toEqual({ status: "handled", value: "a2" });
    expect(await dedupe.run("d", done("d2"))).toEqual({ status: "duplicate" });
  });

  it("sweeps expired ids as new ones arrive", async () => {
    let now = 0;
    const store = new MemoryDedupeStore({ now: () => now });
    const dedupe = createDeduper({ store, ttlMs: 10 });
    for (let i = 0; i < 10; i++) await dedupe.run(`old_${i}`, done(i));
    now = 1_000;
    await dedupe.run("new", done("new"));
    expect(store.size).toBe(1);
  });
});

describe("RedisDedupeStore", () => {
  let io: Awaited<ReturnType<typeof ioredisClient>>;
  let nr: Awaited<ReturnType<typeof nodeRedisClient>>;
  beforeAll(async () => {
    io = await ioredisClient();
    nr = await nodeRedisClient();
  });
  afterAll(async () => {
    io?.disconnect();
    await nr?.close();
  });

  storeContract("with ioredis", () => new RedisDedupeStore({ client: io, prefix: testPrefix() }), sleep);
  storeContract("with node-redis", () => new RedisDedupeStore({ client: nr, prefix: testPrefix() }), sleep);

  it("shares state between stores on one Redis (two receiver processes) and keeps each id under its prefix", async () => {
    const prefix = testPrefix();
    const a = createDeduper({ store: new RedisDedupeStore({ client: io, prefix }) });
    const b = createDeduper({ store: new RedisDedupeStore({ client: nr, prefix }) });
    expect(await a.run("evt_1", done("a"))).toEqual({ status: "handled", value: "a" });
    expect(await b.run("evt_1", done("b"))).toEqual({ status: "duplicate" });
    expect(await io.get(`${prefix}evt_1`)).toMatch(/^done:/);
    const ttl = await io.pttl(`${prefix}evt_1`);
    expect(ttl).toBeGreaterThan(6 * 24 * 3600_000);
  });

  it("refuses a client it cannot drive", () => {
    expect(() => new RedisDedupeStore({ client: {} as never })).toThrow(/ioredis or node-redis/);
  });
});
