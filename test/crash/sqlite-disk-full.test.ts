/**
 * The embedded database refusing writes: the disk fills up, or the file becomes read-only. hookd must answer 503 with
 * Retry-After and a clear code (never a 202 for an event it could not commit), keep serving, deliver everything it did
 * accept, and recover by itself once writes succeed again.
 *
 * The faults come from SQLite itself, on the store's own connection: `max_page_count` makes the engine fail a write
 * that would grow the file with SQLITE_FULL (the same error a full disk raises), and `query_only` makes it refuse
 * every write with SQLITE_READONLY. This runs the same code path as the real faults without needing root to mount a
 * tiny filesystem.
 */
import { randomUUID } from "node:crypto";
import type Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Api, eventually, useHookd } from "../e2e/harness.ts";

/** Reaches the store's private connection: test-only, to impose the engine-level limits described above. */
function connectionOf(store: unknown): Database.Database {
  return (store as { db: Database.Database }).db;
}

async function publishTagged(api: Api, tenant: string, n: number) {
  const id = `evt_fill_${n}_${randomUUID()}`;
  const res = await api.post(`/v1/tenants/${tenant}/events`, {
    id,
    type: "disk.fill",
    data: { n, blob: "x".repeat(16_000) },
  });
  return { id, res };
}

describe("sqlite: disk full and read-only", () => {
  const ctx = useHookd("sqlite", { retryScheduleS: [0, 1] });
  let tenant: string;
  let db: Database.Database;
  let defaultMaxPages: number;

  beforeAll(async () => {
    tenant = await ctx.tenant();
    db = connectionOf(ctx.app.store);
    defaultMaxPages = db.pragma("max_page_count", { simple: true }) as number;
  });

  afterAll(() => {
    db.pragma(`max_page_count = ${defaultMaxPages}`);
    db.pragma("query_only = OFF");
  });

  it("answers 503 SERVICE_UNAVAILABLE instead of 202 when the disk is full, and recovers", async () => {
    const receiver = await ctx.receiver();
    await ctx.api.createEndpoint(tenant, { url: `${receiver.url}/full` });

    // Leave room for a handful of events only.
    const pages = db.pragma("page_count", { simple: true }) as number;
    db.pragma(`max_page_count = ${pages + 40}`);

    const accepted: string[] = [];
    const refused: string[] = [];
    for (let n = 0; n < 200 && refused.length < 3; n++) {
      const { id, res } = await publishTagged(ctx.api, tenant, n);
      if (res.status === 202) {
        accepted.push(id);
        continue;
      }
      expect(res.status, res.text).toBe(503);
      expect(res.body.code).toBe("SERVICE_UNAVAILABLE");
      expect(Number(res.headers["retry-after"])).toBeGreaterThan(0);
      expect(res.text).not.toMatch(/at .*\.ts:\d+/); // no stack trace
      refused.push(id);
    }
    expect(refused.length).toBe(3);

    // Nothing refused was half-written; everything accepted is stored.
    for (const id of refused) expect((await ctx.api.get(`/v1/tenants/${tenant}/events/${id}`)).status).toBe(404);
    for (const id of accepted) expect((await ctx.api.get(`/v1/tenants/${tenant}/events/${id}`)).status).toBe(200);
    // The API still serves reads while writes fail.
    expect((await ctx.api.get(`/v1/tenants/${tenant}`)).status).toBe(200);

    // Space comes back: new events are accepted and everything accepted is delivered, with no operator action.
    db.pragma(`max_page_count = ${defaultMaxPages}`);
    const after = await publishTagged(ctx.api, tenant, 999);
    expect(after.res.status).toBe(202);
    const wanted = new Set([...accepted, after.id]);
    await eventually(() => {
      const got = new Set(receiver.received.map((r) => String(r.headers["webhook-id"])));
      const missing = [...wanted].filter((id) => !got.has(id));
      if (missing.length > 0) throw new Error(`not delivered yet: ${missing.length}`);
    }, 20_000);
    const got = new Set(receiver.received.map((r) => String(r.headers["webhook-id"])));
    for (const id of refused) expect(got.has(id)).toBe(false);
  }, 40_000);

  it("answers 503 while the database file is read-only, and recovers", async () => {
    const receiver = await ctx.receiver();
    await ctx.api.createEndpoint(tenant, { url: `${receiver.url}/ro`, event_types: ["ro.*"] });

    db.pragma("query_only = ON");
    const during = await ctx.api.post(`/v1/tenants/${tenant}/events`, { type: "ro.blocked", data: {} });
    expect(during.status).toBe(503);
    expect(during.body.code).toBe("SERVICE_UNAVAILABLE");
    const tenantWrite = await ctx.api.post("/v1/tenants", { name: "while read-only" });
    expect(tenantWrite.status).toBe(503);

    db.pragma("query_only = OFF");
    const after = await ctx.api.post(`/v1/tenants/${tenant}/events`, { type: "ro.after", data: {} });
    expect(after.status).toBe(202);
    await eventually(() => {
      const ids = receiver.received.map((r) => r.headers["webhook-id"]);
      if (!ids.includes(after.body.id)) throw new Error("not delivered yet");
    }, 15_000);
    expect(receiver.received.map((r) => JSON.parse(r.body).type)).toEqual(["ro.after"]);
  }, 30_000);
});
