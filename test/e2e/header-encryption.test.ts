/**
 * Custom header values are encrypted at rest (issue 13, finding 11), on both stores: a plain SELECT of the
 * endpoints table (what a pg_dump or a copied SQLite file shows) holds no header value, nor does the attempt log;
 * reads show the values masked, `GET .../headers` reveals them and is audited, a PATCH may send a masked value back
 * to keep it, values from an older hookd are sealed at start-up, and rotate-encryption-key moves them to a new key.
 */
import { randomBytes } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import type { App } from "../../src/app.ts";
import { runRotateEncryptionKey } from "../../src/cli/rotate-encryption-key.ts";
import { createLogger } from "../../src/observability/logger.ts";
import { parseMasterKey } from "../../src/secrets/master-key.ts";
import { sealedKeyId } from "../../src/secrets/secret-box.ts";
import { endpoint, tenant } from "../contract/fixtures.ts";
import { Receiver } from "../support/receiver.ts";
import { dumpTable } from "../support/raw-table.ts";
import { createTestDatabase, STORE_KINDS, type TestDatabase } from "../support/stores.ts";
import { TEST_ENCRYPTION_KEY } from "../support/encryption-key.ts";
import { Api, hookdConfig, type Json, startHookd } from "./harness.ts";

const value = (label: string) => `${label}-${randomBytes(10).toString("hex")}`;

const apps: App[] = [];
const receivers: Receiver[] = [];
const databases: TestDatabase[] = [];
afterEach(async () => {
  for (const app of apps.splice(0)) await app.close();
  for (const r of receivers.splice(0)) await r.close();
  for (const db of databases.splice(0)) await db.destroy();
});

async function setUp(kind: "sqlite" | "postgres", encryptionKey = TEST_ENCRYPTION_KEY) {
  const db = await createTestDatabase(kind);
  databases.push(db);
  const app = await startHookd(db.url, { encryptionKey });
  apps.push(app);
  const r = await new Receiver().start();
  receivers.push(r);
  return { db, app, api: new Api(app.url!), receiver: r };
}

describe.each(STORE_KINDS)("custom header values at rest (%s)", (kind) => {
  it("are sealed in the table and the attempt log, masked on reads, sent in the clear, revealed on request and audited", async () => {
    const { db, api, receiver } = await setUp(kind);
    const t = (await api.createTenant({ name: "t" })).id as string;
    const secret = { auth: `Bearer ${value("auth")}`, key: value("apikey"), plain: value("region") };
    const created = await api.createEndpoint(t, {
      url: `${receiver.url}/hook`,
      headers: { Authorization: secret.auth, "X-Api-Key": secret.key, "X-Region": secret.plain },
    });
    const masked = { Authorization: "[redacted]", "X-Api-Key": "[redacted]", "X-Region": "[redacted]" };
    expect(created.headers).toEqual(masked);
    expect((await api.expectGet(`/v1/tenants/${t}/endpoints/${created.id}`)).headers).toEqual(masked);
    expect((await api.expectGet(`/v1/tenants/${t}/endpoints`)).data[0].headers).toEqual(masked);

    await api.publish(t, { type: "a.b", data: {} });
    await receiver.waitFor(1);
    const sent = receiver.received[0]!.headers;
    expect([sent.authorization, sent["x-api-key"], sent["x-region"]]).toEqual([secret.auth, secret.key, secret.plain]);
    const dlv = (await api.deliveriesOf(t))[0]!;
    const logged = await api.waitForDelivery(t, dlv.id, (d: Json) => d.status === "succeeded");
    expect(logged.request.headers).toMatchObject({ authorization: "[redacted]", "x-api-key": "[redacted]", "x-region": "[redacted]" });

    for (const table of ["endpoints", "attempts", "deliveries", "audit_log"]) {
      const dump = await dumpTable(db.url, table);
      for (const v of [secret.auth.slice(7), secret.key, secret.plain]) expect(dump.includes(v), `${v} in ${table}`).toBe(false);
    }
    expect(await dumpTable(db.url, "endpoints")).toContain("X-Api-Key");

    const revealed = await api.expectGet(`/v1/tenants/${t}/endpoints/${created.id}/headers`);
    expect(revealed).toEqual({ headers: { Authorization: secret.auth, "X-Api-Key": secret.key, "X-Region": secret.plain } });
    const audit = (await api.expectGet(`/v1/tenants/${t}/audit-log`)).data as Json[];
    const reveal = audit.find((a) => a.action === "endpoint.headers_revealed");
    expect(reveal).toMatchObject({ actor_key_id: expect.any(String), target_type: "endpoint", target_id: created.id });
    expect(JSON.stringify(audit)).not.toContain(secret.key);
    const other = await api.get(`/v1/tenants/${(await api.createTenant({ name: "o" })).id}/endpoints/${created.id}/headers`);
    expect(other.status).toBe(404);
  });

  it("keeps a value a PATCH sends back masked, replaces the others, and refuses a mask it cannot resolve", async () => {
    const { api, receiver } = await setUp(kind);
    const t = (await api.createTenant({ name: "t" })).id as string;
    const [keep, before, after] = [value("keep"), value("before"), value("after")];
    const ep = await api.createEndpoint(t, { url: `${receiver.url}/hook`, headers: { "X-Keep": keep, "X-Change": before } });
    const patched = await api.patch(`/v1/tenants/${t}/endpoints/${ep.id}`, { headers: { "X-Keep": "[redacted]", "X-Change": after } });
    expect(patched.status).toBe(200);
    expect(await api.expectGet(`/v1/tenants/${t}/endpoints/${ep.id}/headers`)).toEqual({ headers: { "X-Keep": keep, "X-Change": after } });
    const unknown = await api.patch(`/v1/tenants/${t}/endpoints/${ep.id}`, { headers: { "X-New": "[redacted]" } });
    expect([unknown.status, unknown.body.code]).toEqual([400, "VALIDATION_FAILED"]);
    const create = await api.post(`/v1/tenants/${t}/endpoints`, { url: `${receiver.url}/x`, headers: { "X-A": "[redacted]" } });
    expect([create.status, create.body.code]).toEqual([400, "VALIDATION_FAILED"]);
  });

  it("seals values an older hookd stored in the clear at start-up, and rotate-encryption-key moves them to a new key", async () => {
    const db = await createTestDatabase(kind);
    databases.push(db);
    const r = await new Receiver().start();
    receivers.push(r);
    const clear = value("legacy");
    // A row as a hookd from before header encryption wrote it.
    const store = await db.open();
    await store.insertTenant(tenant("acme"));
    const ep = endpoint("acme", {
      url: `${r.url}/hook`,
      sealedSecret: `whsec_${randomBytes(32).toString("base64")}`,
      headers: { "X-Legacy": clear },
    });
    await store.insertEndpoint(ep);
    await store.close();
    expect(await dumpTable(db.url, "endpoints")).toContain(clear);

    const k1 = randomBytes(32).toString("base64");
    const first = await startHookd(db.url, { encryptionKey: k1 });
    apps.push(first);
    const stored = await first.store.getEndpoint("acme", ep.id);
    expect(sealedKeyId(stored!.headers["X-Legacy"]!)).toBe(parseMasterKey(k1).id);
    expect(await dumpTable(db.url, "endpoints")).not.toContain(clear);
    await new Api(first.url!).publish("acme", { type: "a.b", data: {} });
    await r.waitFor(1);
    expect(r.received[0]!.headers["x-legacy"]).toBe(clear);
    await first.close();
    apps.splice(apps.indexOf(first), 1);

    const k2 = randomBytes(32).toString("base64");
    const output: string[] = [];
    const code = await runRotateEncryptionKey(hookdConfig(db.url, { encryptionKey: k1, newEncryptionKey: k2 }), {
      log: createLogger("silent"),
      print: (l) => output.push(l),
    });
    expect(code, output.join("\n")).toBe(0);
    const second = await startHookd(db.url, { encryptionKey: k2 });
    apps.push(second);
    const rotated = await second.store.getEndpoint("acme", ep.id);
    expect(sealedKeyId(rotated!.headers["X-Legacy"]!)).toBe(parseMasterKey(k2).id);
    await new Api(second.url!).publish("acme", { type: "a.b", data: {} });
    await r.waitFor(2);
    expect(r.received[1]!.headers["x-legacy"]).toBe(clear);
  });
});
