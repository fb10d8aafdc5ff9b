/**
 * Runs a real hookd process with debug logging, drives it through keys, endpoints (explicit and generated secrets,
 * a credential in a custom header), deliveries with retries and a 410, secret rotation, revocation and refused
 * requests carrying keys, then greps everything it produced afterwards for the admin key, tenant keys, endpoint
 * secrets (whole and without their prefix) and the receiver's credential: the captured stdout/stderr, the attempt
 * log, and the answers of later reads. None may appear.
 */
import { randomBytes } from "node:crypto";
import { afterAll, describe, expect, it } from "vitest";
import { ADMIN_KEY, Api, eventually, type Json } from "../e2e/harness.ts";
import { TEST_ENCRYPTION_KEY } from "../support/encryption-key.ts";
import { startHookd } from "../support/hookd-process.ts";
import { Receiver } from "../support/receiver.ts";
import { createTestDatabase, STORE_KINDS, type TestDatabase } from "../support/stores.ts";

const secret = () => `whsec_${randomBytes(32).toString("base64")}`;

describe.each(STORE_KINDS)("no secrets in logs, attempt logs or later answers (%s)", (kind) => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
  });

  it("greps every output for keys, secrets and credentials and finds none", async () => {
    const db: TestDatabase = await createTestDatabase(kind);
    cleanups.push(() => db.destroy());
    const receiver = await new Receiver().start();
    cleanups.push(() => receiver.close());
    const seen = new Set<string>();
    receiver.handler = (req, res) => {
      if (req.path === "/gone") {
        res.writeHead(410);
        res.end("gone");
        return;
      }
      // The first attempt of every event fails, so retries (and their log lines) happen too.
      const id = String(req.headers["webhook-id"]);
      const first = !seen.has(id);
      seen.add(id);
      res.writeHead(first ? 500 : 200, { "content-type": "text/plain" });
      res.end(first ? "try again" : "ok");
    };

    // The harness client sends this key by default.
    const adminKey = ADMIN_KEY;
    const hookd = await startHookd({
      HOOKD_DATABASE_URL: db.url,
      HOOKD_HOST: "127.0.0.1",
      HOOKD_PORT: "0",
      HOOKD_ADMIN_KEY: adminKey,
      HOOKD_ALLOWED_NETWORKS: "127.0.0.0/8",
      HOOKD_RETRY_SCHEDULE: "0,1,1,1",
      HOOKD_POLL_INTERVAL_MS: "50",
      HOOKD_LOG_LEVEL: "debug",
      HOOKD_ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
    });
    let logs = hookd.output();
    const capture = (chunk: Buffer) => {
      logs += chunk.toString();
    };
    hookd.child.stdout?.on("data", capture);
    hookd.child.stderr?.on("data", capture);
    cleanups.push(() => hookd.stop());

    const admin = new Api(hookd.url);
    const as = (key: string) => ({ key });
    const asAdmin = as(adminKey);
    const tenant = await admin.expectPost<Json>("/v1/tenants", { name: "Logged" }, 201, asAdmin);
    const base = `/v1/tenants/${tenant.id}`;
    const key1 = await admin.expectPost<Json>(`${base}/api-keys`, {}, 201, asAdmin);
    const key2 = await admin.expectPost<Json>(`${base}/api-keys`, {}, 201, asAdmin);
    const tenantKey = as(key1.key);

    const secretA = secret();
    const credential = `Bearer receiver-credential-${randomBytes(12).toString("hex")}`;
    // A header whose name says nothing of credentials: its value is sealed and masked all the same.
    const plainHeader = `plain-header-value-${randomBytes(12).toString("hex")}`;
    const epA = await admin.expectPost<Json>(
      `${base}/endpoints`,
      { url: `${receiver.url}/a`, secret: secretA, headers: { authorization: credential, "x-region-code": plainHeader } },
      201,
      tenantKey,
    );
    const epB = await admin.expectPost<Json>(`${base}/endpoints`, { url: `${receiver.url}/b` }, 201, tenantKey);
    const epGone = await admin.expectPost<Json>(`${base}/endpoints`, { url: `${receiver.url}/gone` }, 201, tenantKey);

    const publishAndSettle = async (n: number) => {
      const ids: string[] = [];
      for (let i = 0; i < n; i++) {
        ids.push((await admin.expectPost<Json>(`${base}/events`, { type: "log.check", data: { i } }, 202, tenantKey)).id);
      }
      await eventually(async () => {
        const page = await admin.expectGet(`${base}/deliveries?limit=250`);
        // The endpoint that answers 410 is disabled by its first answer: what it has not been sent yet waits (paused).
        const open = (page.data as Json[]).filter(
          (d) => d.status === "failed" || (d.status === "pending" && d.endpoint_id !== epGone.id),
        );
        if (open.length > 0) throw new Error(`${open.length} deliveries still open`);
      }, 30_000);
      return ids;
    };
    const first = await publishAndSettle(3);

    const secretA2 = secret();
    await admin.expectPost(`${base}/endpoints/${epA.id}/rotate-secret`, { secret: secretA2 }, 200, tenantKey);
    const rotatedB = await admin.expectPost<Json>(`${base}/endpoints/${epB.id}/rotate-secret`, {}, 200, tenantKey);
    const second = await publishAndSettle(2);

    // Refused requests that carry secrets: a revoked key, a made-up key, a malformed secret.
    expect((await admin.delete(`${base}/api-keys/${key2.id}`, asAdmin)).status).toBe(204);
    expect((await admin.get(base, as(key2.key))).status).toBe(401);
    const madeUp = `hk_${randomBytes(32).toString("base64url")}`;
    expect((await admin.get(base, as(madeUp))).status).toBe(401);
    const badSecret = `whsec_${randomBytes(8).toString("base64")}`;
    expect((await admin.patch(`${base}/endpoints/${epB.id}`, { secret: badSecret }, tenantKey)).status).toBe(400);
    expect(
      (await admin.call("GET", base, { key: null, headers: { authorization: `Token ${key1.key}` } })).status,
    ).toBe(401);

    // Everything a client can read afterwards.
    const reads: string[] = [];
    const read = async (path: string) => {
      const res = await admin.get(path, asAdmin);
      expect(res.status, path).toBe(200);
      reads.push(res.text);
      return res.body;
    };
    await read(base);
    await read(`${base}/api-keys`);
    await read(`${base}/audit-log?limit=250`);
    const endpoints = await read(`${base}/endpoints`);
    for (const ep of endpoints.data as Json[]) await read(`${base}/endpoints/${ep.id}`);
    for (const id of [...first, ...second]) await read(`${base}/events/${id}`);
    const deliveries = await read(`${base}/deliveries?limit=250`);
    const attemptLogs: string[] = [];
    for (const d of deliveries.data as Json[]) {
      const res = await admin.get(`${base}/deliveries/${d.id}`, asAdmin);
      attemptLogs.push(res.text);
    }
    expect(await hookd.stop()).toBe(0);

    // The capture is real: debug lines, retries and the disabled endpoint are all in it.
    expect(logs).toContain('"msg":"hookd started"');
    expect(logs).toContain('"msg":"delivered"');
    expect(logs).toContain('"msg":"attempt failed"');
    expect(logs).toContain(epGone.id);
    expect(attemptLogs.join("\n")).toContain("try again");
    expect(receiver.received.some((r) => r.headers.authorization === credential && r.headers["x-region-code"] === plainHeader)).toBe(true);

    const secrets: Record<string, string> = {
      "admin key": adminKey,
      "tenant key 1": key1.key,
      "tenant key 2 (revoked)": key2.key,
      "made-up key": madeUp,
      "endpoint A secret": secretA,
      "endpoint A rotated secret": secretA2,
      "endpoint B secret": epB.secret,
      "endpoint B rotated secret": rotatedB.secret,
      "endpoint gone secret": epGone.secret,
      "malformed secret": badSecret,
      "master encryption key": TEST_ENCRYPTION_KEY,
      // Custom header values are masked on reads and never logged (the receiver gets them).
      "receiver credential": credential.slice("Bearer ".length),
      "plain custom header value": plainHeader,
    };
    for (const [name, value] of Object.entries({ ...secrets })) {
      if (value.startsWith("whsec_")) secrets[`${name} without prefix`] = value.slice("whsec_".length);
    }
    const found: string[] = [];
    const outputs = { logs, "attempt log": attemptLogs.join("\n"), "later answers": reads.join("\n") };
    for (const [where, text] of Object.entries(outputs)) {
      for (const [name, value] of Object.entries(secrets)) if (text.includes(value)) found.push(`${name} in ${where}`);
    }
    expect(found).toEqual([]);
  }, 120_000);
});
