/**
 * TLS client certificates on endpoints, on both stores, against a real HTTPS receiver that requires a client
 * certificate from its CA (certificates made in the test): the endpoint's certificate is presented and the
 * receiver's CA pinned; without a certificate, with one the receiver does not trust, or with the wrong CA pinned, the
 * attempt fails and says why (class `tls` where the TLS layer tells); PEM is checked when saved (422 naming the field); the key is sealed at rest
 * and never read back; and rotate-encryption-key moves the client key and the OAuth2 client secret to a new key.
 */
import { randomBytes } from "node:crypto";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { App } from "../../src/app.ts";
import { runRotateEncryptionKey } from "../../src/cli/rotate-encryption-key.ts";
import { createLogger } from "../../src/observability/logger.ts";
import { parseMasterKey } from "../../src/secrets/master-key.ts";
import { sealedKeyId } from "../../src/secrets/secret-box.ts";
import { dumpTable } from "../support/raw-table.ts";
import { createTestDatabase, STORE_KINDS, type TestDatabase } from "../support/stores.ts";
import { makeTestPki, type TestPki } from "../support/tls-certificates.ts";
import { TlsReceiver } from "../support/tls-receiver.ts";
import { TokenServer } from "../support/token-server.ts";
import { Api, hookdConfig, type Json, startHookd, useHookd } from "./harness.ts";

let pki: TestPki;
beforeAll(async () => {
  pki = await makeTestPki();
});

/** A line from the middle of a PEM body: present in any copy of it, whatever the line endings or escaping. */
const middleLine = (pem: string) => pem.trim().split("\n")[1]!;

describe.each(STORE_KINDS)("mTLS endpoints (%s)", (kind) => {
  const ctx = useHookd(kind);
  const receivers: TlsReceiver[] = [];
  afterEach(async () => {
    for (const r of receivers.splice(0)) await r.close();
  });

  async function tlsReceiver(): Promise<TlsReceiver> {
    const r = await new TlsReceiver(pki.server, pki.ca.cert).start();
    receivers.push(r);
    return r;
  }

  it("presents the client certificate to a receiver that requires one, pinning the receiver's CA", async () => {
    const rx = await tlsReceiver();
    const t = await ctx.tenant();
    const ep = await ctx.api.createEndpoint(t, {
      url: `${rx.url}/hook`,
      mtls: { cert: pki.client.cert, key: pki.client.key, ca: pki.ca.cert },
    });
    expect(ep.mtls).toEqual({ cert: pki.client.cert, key: "[redacted]", ca: pki.ca.cert });
    expect(JSON.stringify(await ctx.api.expectGet(`/v1/tenants/${t}/endpoints`))).not.toContain(middleLine(pki.client.key));

    const evt = await ctx.api.publish(t, { type: "a.b", data: { n: 1 } });
    const dlv = await ctx.api.onlyDeliveryOf(t, evt.id as string);
    await ctx.api.waitForDelivery(t, dlv.id, (d) => d.status === "succeeded");
    expect(rx.received).toHaveLength(1);
    expect(rx.received[0]).toMatchObject({ path: "/hook", clientCn: "hookd-client" });
    for (const table of ["endpoints", "attempts", "audit_log"]) {
      expect((await dumpTable(ctx.db.url, table)).includes(middleLine(pki.client.key)), table).toBe(false);
    }
  });

  it("fails clearly without a client certificate, with an untrusted one, and with the wrong CA pinned", async () => {
    const rx = await tlsReceiver();
    const t = await ctx.tenant();
    const results: string[] = [];
    const cases: [string, Json, RegExp][] = [
      ["no client certificate", { ca: pki.ca.cert }, /^the receiver refused the TLS handshake \(ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED: .*certificate required\); the endpoint presents no client certificate$/],
      [
        "a client certificate from another CA",
        { cert: pki.otherClient.cert, key: pki.otherClient.key, ca: pki.ca.cert },
        /(refused the TLS handshake|does not trust the endpoint's client certificate)/,
      ],
      ["the wrong CA pinned", { cert: pki.client.cert, key: pki.client.key, ca: pki.otherCa.cert }, /^SELF_SIGNED_CERT_IN_CHAIN: /],
    ];
    for (const [label, mtls, says] of cases) {
      const ep = await ctx.api.createEndpoint(t, { url: `${rx.url}/hook`, mtls, retry_schedule_s: [0] });
      const evt = await ctx.api.publish(t, { type: "a.b", data: {} });
      const dlv = await ctx.api.onlyDeliveryOf(t, evt.id as string);
      const dead = await ctx.api.waitForDelivery(t, dlv.id, (d) => d.status === "dead");
      expect(dead.attempts[0], label).toMatchObject({ status_code: null });
      expect(dead.attempts[0].error, label).toMatch(says);
      await ctx.api.patch(`/v1/tenants/${t}/endpoints/${ep.id}`, { disabled: true });
      results.push(dead.attempts[0].error_class as string);
    }
    // The missing certificate and the wrong pin are TLS failures for certain; the untrusted certificate is too
    // when its alert arrives before the connection closes (otherwise a closed connection, explained).
    expect([results[0], results[2]]).toEqual(["tls", "tls"]);
    expect(["tls", "connect"]).toContain(results[1]);
    // The wrong pin fails on hookd's side; the other two are refused by the receiver during the handshake.
    expect(rx.received).toHaveLength(0);
    expect(rx.refused.length).toBeGreaterThanOrEqual(2);
  });

  it("checks PEM when saved and names the field", async () => {
    const t = await ctx.tenant();
    const bad: [Json, string, string][] = [
      [{ cert: "not a certificate", key: pki.client.key }, "/mtls/cert", "no PEM certificate"],
      [{ cert: pki.client.cert, key: "not a key" }, "/mtls/key", "no PEM private key"],
      [{ cert: pki.client.cert, key: pki.otherClient.key }, "/mtls/key", "does not belong"],
      [{ cert: pki.client.cert }, "/mtls/key", "go together"],
      [{ ca: "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n" }, "/mtls/ca", "does not parse"],
      [{}, "/mtls", "give a client certificate"],
    ];
    for (const [mtls, pointer, says] of bad) {
      const res = await ctx.api.post(`/v1/tenants/${t}/endpoints`, { url: "https://127.0.0.1:9/hook", mtls });
      expect(res.status, pointer).toBe(422);
      expect(res.body, pointer).toMatchObject({ code: "INVALID_CLIENT_CERTIFICATE", details: [{ pointer }] });
      expect(res.body.message, pointer).toContain(says);
    }
    const http = await ctx.api.post(`/v1/tenants/${t}/endpoints`, { url: "http://127.0.0.1:9/hook", mtls: { ca: pki.ca.cert } });
    expect(http.status).toBe(422);
    expect(http.body.details).toEqual([{ pointer: "/mtls", message: expect.stringContaining("not https") }]);

    // A PATCH may send the key back masked; a URL change to http is refused while mtls is set.
    const ep = await ctx.api.createEndpoint(t, {
      url: "https://127.0.0.1:9/hook",
      mtls: { cert: pki.client.cert, key: pki.client.key },
    });
    const kept = await ctx.api.patch(`/v1/tenants/${t}/endpoints/${ep.id}`, { mtls: { ...ep.mtls, ca: pki.ca.cert } });
    expect(kept.status, kept.text).toBe(200);
    expect(kept.body.mtls).toEqual({ cert: pki.client.cert, key: "[redacted]", ca: pki.ca.cert });
    const mismatch = await ctx.api.patch(`/v1/tenants/${t}/endpoints/${ep.id}`, { mtls: { cert: pki.otherClient.cert, key: "[redacted]" } });
    expect(mismatch.body).toMatchObject({ code: "INVALID_CLIENT_CERTIFICATE", details: [{ pointer: "/mtls/key" }] });
    const toHttp = await ctx.api.patch(`/v1/tenants/${t}/endpoints/${ep.id}`, { url: "http://127.0.0.1:9/hook" });
    expect(toHttp.body).toMatchObject({ code: "INVALID_CLIENT_CERTIFICATE", details: [{ pointer: "/mtls" }] });
  });
});

describe.each(STORE_KINDS)("rotate-encryption-key and endpoint credentials (%s)", (kind) => {
  const apps: App[] = [];
  const closers: { close(): Promise<void> }[] = [];
  let db: TestDatabase;
  afterAll(async () => {
    for (const a of apps) await a.close();
    for (const c of closers) await c.close();
    await db?.destroy();
  });

  it("re-encrypts the OAuth2 client secret and the TLS client key under the new key, and deliveries go on", async () => {
    db = await createTestDatabase(kind);
    const secret = `cs-${randomBytes(12).toString("hex")}`;
    const tokens = await new TokenServer("hookd", secret).start();
    const rx = await new TlsReceiver(pki.server, pki.ca.cert).start();
    closers.push(tokens, rx);

    const k1 = randomBytes(32).toString("base64");
    const first = await startHookd(db.url, { encryptionKey: k1 });
    apps.push(first);
    const api = new Api(first.url!);
    const t = (await api.createTenant({ name: "rot" })).id as string;
    const ep = await api.createEndpoint(t, {
      url: `${rx.url}/hook`,
      oauth2: { token_url: tokens.url, client_id: "hookd", client_secret: secret },
      mtls: { cert: pki.client.cert, key: pki.client.key, ca: pki.ca.cert },
    });
    const before = await first.store.getEndpoint(t, ep.id as string);
    expect(sealedKeyId(before!.oauth2!.sealedClientSecret)).toBe(parseMasterKey(k1).id);
    expect(sealedKeyId(before!.mtls!.sealedKey!)).toBe(parseMasterKey(k1).id);
    await first.close();
    apps.splice(apps.indexOf(first), 1);

    const k2 = randomBytes(32).toString("base64");
    const output: string[] = [];
    const code = await runRotateEncryptionKey(hookdConfig(db.url, { encryptionKey: k1, newEncryptionKey: k2 }), {
      log: createLogger("silent"),
      print: (l) => output.push(l),
    });
    expect(code, output.join("\n")).toBe(0);

    // Only the new key from here on: the old one is gone.
    const second = await startHookd(db.url, { encryptionKey: k2 });
    apps.push(second);
    const after = await second.store.getEndpoint(t, ep.id as string);
    expect(sealedKeyId(after!.oauth2!.sealedClientSecret)).toBe(parseMasterKey(k2).id);
    expect(sealedKeyId(after!.mtls!.sealedKey!)).toBe(parseMasterKey(k2).id);
    const api2 = new Api(second.url!);
    const evt = await api2.publish(t, { type: "a.b", data: {} });
    const dlv = await api2.onlyDeliveryOf(t, evt.id as string);
    const done = await api2.waitForDelivery(t, dlv.id, (d) => d.status !== "pending");
    expect(done.status, JSON.stringify(done.attempts)).toBe("succeeded");
    expect(rx.received.at(-1)?.clientCn).toBe("hookd-client");
    expect(tokens.requests.at(-1)?.client).toEqual({ id: "hookd", secret });
  });
});
