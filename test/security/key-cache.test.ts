/**
 * A deleted tenant's keys, and a revoked key, stop working at once (issue 13, finding 12), and a key of a deleted
 * tenant never works against a new tenant created with the same id. In one process on both stores; across two real
 * hookd processes on PostgreSQL, where the key caches hear of the change through LISTEN/NOTIFY (before, the other
 * process kept accepting the key for up to 5 s, its cache's lifetime).
 */
import { afterEach, describe, expect, it } from "vitest";
import pg from "pg";
import { type HookdProcess, startHookd as startProcess } from "../support/hookd-process.ts";
import { createTestDatabase, STORE_KINDS, type TestDatabase } from "../support/stores.ts";
import { TEST_ENCRYPTION_KEY } from "../support/encryption-key.ts";
import { AUTH_CACHE_TTL_MS } from "../../src/http/auth.ts";
import { Api, ADMIN_KEY, eventually, useHookd } from "../e2e/harness.ts";

/**
 * Creates a tenant with the id of one just deleted: the id is refused (409) until the background task has removed
 * the old tenant's rows, so nothing of it mixes with the new one.
 */
async function recreateTenant(api: Api, id: string, name: string): Promise<void> {
  await eventually(async () => expect((await api.post("/v1/tenants", { id, name })).status).toBe(201), 30_000);
}

describe.each(STORE_KINDS)("key cache in one process (%s)", (kind) => {
  const h = useHookd(kind);

  it("refuses a deleted tenant's key at once, also against a new tenant created with the same id", async () => {
    const id = `reborn-${kind}`;
    await h.api.createTenant({ id, name: "first" });
    const key = (await h.api.expectPost(`/v1/tenants/${id}/api-keys`, {}, 201)).key as string;
    expect((await h.api.get(`/v1/tenants/${id}`, { key })).status).toBe(200);
    expect((await h.api.delete(`/v1/tenants/${id}`)).status).toBe(204);
    expect((await h.api.get(`/v1/tenants/${id}`, { key })).status).toBe(401);
    await recreateTenant(h.api, id, "second");
    const res = await h.api.get(`/v1/tenants/${id}`, { key });
    expect([res.status, res.body.code]).toEqual([401, "UNAUTHORIZED"]);
    expect((await h.api.post(`/v1/tenants/${id}/endpoints`, { url: "http://127.0.0.1:9/x" }, { key })).status).toBe(401);
  });
});

describe("key cache across processes (postgres)", () => {
  let db: TestDatabase;
  const procs: HookdProcess[] = [];
  afterEach(async () => {
    for (const p of procs.splice(0)) if (p.child.exitCode === null) await p.kill9();
    await db?.destroy();
  });

  async function twoProcesses(): Promise<[Api, Api]> {
    db = await createTestDatabase("postgres");
    const env = {
      HOOKD_DATABASE_URL: db.url,
      HOOKD_HOST: "127.0.0.1",
      HOOKD_PORT: "0",
      HOOKD_ADMIN_KEY: ADMIN_KEY,
      HOOKD_ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
    };
    const a = await startProcess(env, ["serve", "--role", "api"]);
    procs.push(a);
    const b = await startProcess(env, ["serve", "--role", "api"]);
    procs.push(b);
    return [new Api(a.url), new Api(b.url)];
  }

  /** How long until `b` refuses the key, polling from the moment of the call; fails past the cache's lifetime. */
  async function msUntilRefused(b: Api, path: string, key: string): Promise<number> {
    const started = performance.now();
    await eventually(
      async () => {
        const res = await b.get(path, { key });
        if (res.status !== 401) throw new Error(`still ${res.status} after ${(performance.now() - started).toFixed(0)} ms`);
      },
      AUTH_CACHE_TTL_MS + 2_000,
      10,
    );
    return performance.now() - started;
  }

  it("another process refuses a revoked key and a deleted tenant's key within a second, and never against the new tenant", async () => {
    const [a, b] = await twoProcesses();
    const id = "acme";
    await a.createTenant({ id, name: "first" });
    const revoked = await a.expectPost(`/v1/tenants/${id}/api-keys`, {}, 201);
    const kept = (await a.expectPost(`/v1/tenants/${id}/api-keys`, {}, 201)).key as string;
    // Both keys are now in b's cache.
    expect((await b.get(`/v1/tenants/${id}`, { key: revoked.key as string })).status).toBe(200);
    expect((await b.get(`/v1/tenants/${id}`, { key: kept })).status).toBe(200);

    expect((await a.delete(`/v1/tenants/${id}/api-keys/${revoked.id}`)).status).toBe(204);
    expect(await msUntilRefused(b, `/v1/tenants/${id}`, revoked.key as string)).toBeLessThan(1_000);
    expect((await b.get(`/v1/tenants/${id}`, { key: kept })).status).toBe(200);

    expect((await a.delete(`/v1/tenants/${id}`)).status).toBe(204);
    expect(await msUntilRefused(b, `/v1/tenants/${id}`, kept)).toBeLessThan(1_000);
    await recreateTenant(a, id, "second");
    const onNew = await b.get(`/v1/tenants/${id}`, { key: kept });
    expect([onNew.status, onNew.body.code]).toEqual([401, "UNAUTHORIZED"]);
  });

  it("a process whose notification connection dropped forgets every cached key when it is back", async () => {
    const [a, b] = await twoProcesses();
    await a.createTenant({ id: "acme", name: "t" });
    const key = await a.expectPost("/v1/tenants/acme/api-keys", {}, 201);
    expect((await b.get("/v1/tenants/acme", { key: key.key as string })).status).toBe(200);
    const admin = new pg.Client({ connectionString: db.url });
    await admin.connect();
    try {
      // Revoked behind hookd's back (no announcement), and every LISTEN connection cut: only the reconnect can tell.
      await admin.query("UPDATE api_keys SET revoked_at = $1 WHERE id = $2", [Date.now(), key.id]);
      const { rowCount } = await admin.query(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND query = 'LISTEN hookd_keys'",
      );
      expect(rowCount).toBe(2);
    } finally {
      await admin.end();
    }
    expect(await msUntilRefused(b, "/v1/tenants/acme", key.key as string)).toBeLessThan(2_000);
  });
});
