/**
 * The master key's life cycle on both stores, with real start-ups: secrets stored in the clear by an older hookd are
 * encrypted at start-up, a process without the right key refuses to start, and `rotate-encryption-key` moves every
 * secret (previous ones included) to a new key after which the old key is not needed. Embedded only: the generated
 * key file. PostgreSQL only: no key, no start.
 */
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, statSync } from "node:fs";
import { Writable } from "node:stream";
import { pino } from "pino";
import { Webhook } from "standardwebhooks";
import { afterEach, describe, expect, it } from "vitest";
import { type App, UnreadableSecretsError } from "../../src/app.ts";
import { runRotateEncryptionKey } from "../../src/cli/rotate-encryption-key.ts";
import type { Config } from "../../src/config/config.ts";
import { createLogger } from "../../src/observability/logger.ts";
import { MissingEncryptionKeyError } from "../../src/secrets/keyring.ts";
import { parseMasterKey } from "../../src/secrets/master-key.ts";
import { isSealed, sealedKeyId } from "../../src/secrets/secret-box.ts";
import { sqlitePathFromUrl } from "../../src/store/sqlite/open-database.ts";
import { endpoint, tenant } from "../contract/fixtures.ts";
import { Receiver } from "../support/receiver.ts";
import { createTestDatabase, STORE_KINDS, type TestDatabase } from "../support/stores.ts";
import { Api, hookdConfig, startHookd, webhookHeaders } from "./harness.ts";

const newKey = () => randomBytes(32).toString("base64");
const keyId = (key: string) => parseMasterKey(key).id;

/** A logger whose JSON lines the test can read. */
function capturedLogger() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { log: pino({ level: "info" }, stream), lines };
}

const opened: App[] = [];
const receivers: Receiver[] = [];
const databases: TestDatabase[] = [];

afterEach(async () => {
  for (const app of opened.splice(0)) await app.close();
  for (const r of receivers.splice(0)) await r.close();
  for (const db of databases.splice(0)) await db.destroy();
});

async function database(kind: "sqlite" | "postgres"): Promise<TestDatabase> {
  const db = await createTestDatabase(kind);
  databases.push(db);
  return db;
}

async function start(db: TestDatabase, overrides: Partial<Config>): Promise<{ app: App; api: Api }> {
  const app = await startHookd(db.url, overrides);
  opened.push(app);
  return { app, api: new Api(app.url!) };
}

async function stop(app: App): Promise<void> {
  opened.splice(opened.indexOf(app), 1);
  await app.close();
}

async function receiver(): Promise<Receiver> {
  const r = await new Receiver().start();
  receivers.push(r);
  return r;
}

/** Publishes one event to the tenant and checks its request verifies with each secret. */
async function expectDeliveredSignedBy(api: Api, r: Receiver, tenantId: string, secrets: string[]): Promise<void> {
  const seen = r.received.length;
  await api.publish(tenantId, { type: "a.b", data: { n: seen } });
  await r.waitFor(seen + 1);
  const req = r.received[seen]!;
  for (const s of secrets) expect(() => new Webhook(s).verify(req.body, webhookHeaders(req.headers))).not.toThrow();
}

async function rotate(config: Config): Promise<{ code: number; output: string[] }> {
  const output: string[] = [];
  const code = await runRotateEncryptionKey(config, { log: createLogger("silent"), print: (l) => output.push(l) });
  return { code, output };
}

describe.each(STORE_KINDS)("encryption at rest (%s)", (kind) => {
  it("encrypts secrets stored in the clear by an older hookd at start-up, and still delivers with them", async () => {
    const db = await database(kind);
    const legacy = `whsec_${randomBytes(32).toString("base64")}`;
    const legacyPrevious = `whsec_${randomBytes(32).toString("base64")}`;
    const r = await receiver();
    // Rows as the plaintext-era hookd wrote them.
    const store = await db.open();
    await store.insertTenant(tenant("acme"));
    const ep = endpoint("acme", {
      url: r.url,
      sealedSecret: legacy,
      previousSealedSecret: legacyPrevious,
      previousSecretExpiresAt: Date.now() + 3_600_000,
    });
    await store.insertEndpoint(ep);
    await store.close();

    const key = newKey();
    const { app, api } = await start(db, { encryptionKey: key });
    const stored = await app.store.getEndpoint("acme", ep.id);
    for (const value of [stored!.sealedSecret, stored!.previousSealedSecret!]) {
      expect(isSealed(value)).toBe(true);
      expect(sealedKeyId(value)).toBe(keyId(key));
    }
    expect(stored!.sealedSecret).not.toContain(legacy.slice(6));
    await expectDeliveredSignedBy(api, r, "acme", [legacy, legacyPrevious]);
  });

  it("refuses to start without the key the secrets were encrypted with, and starts with it as a previous key", async () => {
    const db = await database(kind);
    const [k1, k2] = [newKey(), newKey()];
    const r = await receiver();
    const first = await start(db, { encryptionKey: k1 });
    const t = await first.api.createTenant({ name: "t" });
    const ep = await first.api.createEndpoint(t.id, { url: r.url });
    await stop(first.app);

    const refused = startHookd(db.url, { encryptionKey: k2 });
    await expect(refused).rejects.toBeInstanceOf(UnreadableSecretsError);
    await expect(refused).rejects.toThrow(keyId(k1));
    await expect(refused).rejects.not.toThrow(k1);

    const second = await start(db, { encryptionKey: k2, previousEncryptionKeys: [k1] });
    await expectDeliveredSignedBy(second.api, r, t.id, [ep.secret]);
  });

  it("rotate-encryption-key re-encrypts every secret under the new key; the old key is then not needed", async () => {
    const db = await database(kind);
    const [k1, k2] = [newKey(), newKey()];
    const r = await receiver();
    const first = await start(db, { encryptionKey: k1 });
    const t = await first.api.createTenant({ name: "t" });
    const plain = await first.api.createEndpoint(t.id, { url: r.url, event_types: ["plain.*"] });
    const rotated = await first.api.createEndpoint(t.id, { url: r.url, event_types: ["a.*"] });
    const next = await first.api.expectPost(`/v1/tenants/${t.id}/endpoints/${rotated.id}/rotate-secret`, {}, 200);
    const ed = await first.api.createEndpoint(t.id, { url: r.url, event_types: ["ed.*"], signature_scheme: "ed25519" });
    await stop(first.app);

    const config = hookdConfig(db.url, { encryptionKey: k1, newEncryptionKey: k2 });
    const done = await rotate(config);
    expect(done.code).toBe(0);
    expect(done.output.join("\n")).toContain(`now use key ${keyId(k2)}`);
    expect(done.output.join("\n")).not.toContain(k2);

    const check = await db.open();
    const rows = await check.listEndpointSecrets(null, 100);
    await check.close();
    expect(rows).toHaveLength(3);
    for (const row of rows) {
      expect(sealedKeyId(row.sealedSecret)).toBe(keyId(k2));
      if (row.previousSealedSecret !== null) expect(sealedKeyId(row.previousSealedSecret)).toBe(keyId(k2));
    }
    expect(rows.filter((row) => row.previousSealedSecret !== null)).toHaveLength(1);

    // Running it again finds nothing to do.
    const again = await rotate(config);
    expect(again.code).toBe(0);
    expect(again.output.join("\n")).toContain("re-encrypted 0 endpoint secret(s)");

    // The old key alone no longer starts; the new key alone delivers with every secret, the overlap included.
    await expect(startHookd(db.url, { encryptionKey: k1 })).rejects.toThrow(keyId(k2));
    const second = await start(db, { encryptionKey: k2 });
    await expectDeliveredSignedBy(second.api, r, t.id, [rotated.secret, next.secret]);
    const seen = r.received.length;
    await second.api.publish(t.id, { type: "plain.x", data: {} });
    await second.api.publish(t.id, { type: "ed.x", data: {} });
    await r.waitFor(seen + 2);
    const byScheme = r.received.slice(seen).map((q) => String(q.headers["webhook-signature"]));
    expect(byScheme.filter((s) => s.startsWith("v1a,"))).toHaveLength(1);
    const hmacReq = r.received.slice(seen).find((q) => String(q.headers["webhook-signature"]).startsWith("v1,"))!;
    expect(() => new Webhook(plain.secret).verify(hmacReq.body, webhookHeaders(hmacReq.headers))).not.toThrow();
    expect(ed.public_key).toMatch(/^whpk_/);
  });

  it("rotate-encryption-key says what is missing instead of guessing", async () => {
    const db = await database(kind);
    const k1 = newKey();
    const nothing = await rotate(hookdConfig(db.url, { encryptionKey: k1 }));
    expect(nothing.code).toBe(2);
    expect(nothing.output.join("\n")).toContain("HOOKD_NEW_ENCRYPTION_KEY");

    // A secret under a key the command was not given is reported and left alone.
    const first = await start(db, { encryptionKey: k1 });
    const t = await first.api.createTenant({ name: "t" });
    await first.api.createEndpoint(t.id, { url: "http://127.0.0.1:9/" });
    await stop(first.app);
    const partial = await rotate(hookdConfig(db.url, { encryptionKey: newKey(), newEncryptionKey: newKey() }));
    expect(partial.code).toBe(1);
    expect(partial.output.join("\n")).toContain(keyId(k1));
  });
});

describe("encryption key file (sqlite)", () => {
  it("is generated once with mode 0600 and logged by path, reused after a restart, and rotated in place", async () => {
    const db = await database("sqlite");
    const path = `${sqlitePathFromUrl(db.url)}.key`;
    expect(existsSync(path)).toBe(false);
    const r = await receiver();
    const { log, lines } = capturedLogger();
    const app = await startHookd(db.url, { encryptionKey: null }, { log });
    opened.push(app);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const fileKey = readFileSync(path, "utf8").trim();
    expect(parseMasterKey(fileKey).bytes).toHaveLength(32);
    const logged = lines.join("");
    expect(logged).toContain(path);
    expect(logged).toContain("generated an encryption key");
    expect(logged).not.toContain(fileKey);

    const api = new Api(app.url!);
    const t = await api.createTenant({ name: "t" });
    const ep = await api.createEndpoint(t.id, { url: r.url });
    await stop(app);

    const again = await start(db, { encryptionKey: null });
    expect(readFileSync(path, "utf8").trim()).toBe(fileKey);
    await expectDeliveredSignedBy(again.api, r, t.id, [ep.secret]);
    await stop(again.app);

    const rotated = await rotate(hookdConfig(db.url, { encryptionKey: null }));
    expect(rotated.code).toBe(0);
    const nextKey = readFileSync(path, "utf8").trim();
    expect(nextKey).not.toBe(fileKey);
    expect(nextKey.split("\n")).toHaveLength(1);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const third = await start(db, { encryptionKey: null });
    const stored = await third.app.store.getEndpoint(t.id, ep.id);
    expect(sealedKeyId(stored!.sealedSecret)).toBe(keyId(nextKey));
    await expectDeliveredSignedBy(third.api, r, t.id, [ep.secret]);
  });
});

describe("encryption key with PostgreSQL", () => {
  it("refuses to start without HOOKD_ENCRYPTION_KEY, saying why", async () => {
    const db = await database("postgres");
    const started = startHookd(db.url, { encryptionKey: null });
    await expect(started).rejects.toBeInstanceOf(MissingEncryptionKeyError);
    await expect(started).rejects.toThrow(/HOOKD_ENCRYPTION_KEY is required with PostgreSQL/);
  });
});
