/**
 * Endpoint secrets through the real API and the real worker, on both stores: secrets shown once and never again,
 * rotation with an overlap proved with the standardwebhooks verifier (hookd's clock is moved past the overlap instead
 * of waiting a day), and Ed25519 (`v1a`) endpoints verified with node:crypto as a receiver holding only the public
 * key would.
 */
import { createPublicKey, verify } from "node:crypto";
import { Webhook } from "standardwebhooks";
import { afterEach, describe, expect, it, vi } from "vitest";
import { isSealed } from "../../src/secrets/secret-box.ts";
import { ed25519PublicKey } from "../../src/signing/ed25519.ts";
import type { ReceivedRequest } from "../support/receiver.ts";
import { STORE_KINDS } from "../support/stores.ts";
import { type Json, useHookd, webhookHeaders } from "./harness.ts";

const DAY_MS = 86_400_000;

/** hookd's clock: real time plus an offset the tests move. */
const clock = { offsetMs: 0 };
const now = () => Date.now() + clock.offsetMs;

/** Runs the standardwebhooks verifier as a receiver whose clock agrees with the request's timestamp. */
function verifiesWith(secret: string, req: ReceivedRequest): boolean {
  const headers = webhookHeaders(req.headers);
  vi.useFakeTimers({ toFake: ["Date"], now: Number(headers["webhook-timestamp"]) * 1000 });
  try {
    new Webhook(secret).verify(req.body, headers);
    return true;
  } catch {
    return false;
  } finally {
    vi.useRealTimers();
  }
}

/** A receiver's own Ed25519 check: the raw key from `whpk_`, imported with node:crypto, against every v1a entry. */
function verifiesWithPublicKey(publicKey: string, req: ReceivedRequest): boolean {
  const raw = Buffer.from(publicKey.replace(/^whpk_/, ""), "base64");
  const key = createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x: raw.toString("base64url") }, format: "jwk" });
  const content = Buffer.from(`${String(req.headers["webhook-id"])}.${String(req.headers["webhook-timestamp"])}.${req.body}`);
  return String(req.headers["webhook-signature"])
    .split(" ")
    .filter((e) => e.startsWith("v1a,"))
    .some((e) => verify(null, content, key, Buffer.from(e.slice(4), "base64")));
}

describe.each(STORE_KINDS)("endpoint secrets end to end (%s)", (kind) => {
  const h = useHookd(kind, {}, { now });
  afterEach(() => {
    clock.offsetMs = 0;
  });

  async function endpointPath(tenant: string, ep: Json) {
    return `/v1/tenants/${tenant}/endpoints/${ep.id}`;
  }

  it("shows a secret only when it is issued, and stores it encrypted", async () => {
    const tenant = await h.tenant();
    const receiver = await h.receiver();
    const ep = await h.api.createEndpoint(tenant, { url: receiver.url });
    const path = await endpointPath(tenant, ep);
    const rotated = await h.api.expectPost(`${path}/rotate-secret`, {}, 200);
    const secrets = [ep.secret as string, rotated.secret as string];
    expect(secrets[1]).toMatch(/^whsec_/);

    await h.api.publish(tenant, { type: "a.b", data: { n: 1 } });
    await receiver.waitFor(1);
    const delivery = (await h.api.deliveriesOf(tenant))[0]!;
    const answers = [
      await h.api.get(path),
      await h.api.get(`/v1/tenants/${tenant}/endpoints`),
      await h.api.patch(path, { description: "changed" }),
      await h.api.get(`/v1/tenants/${tenant}/deliveries/${delivery.id}`),
      await h.api.get(`/v1/tenants/${tenant}/deliveries`),
      await h.api.get(`/v1/tenants/${tenant}/audit-log`),
    ];
    for (const res of answers) {
      expect(res.status).toBe(200);
      for (const s of secrets) {
        expect(res.text).not.toContain(s);
        expect(res.text).not.toContain(s.slice("whsec_".length));
      }
    }
    const audit = answers[5]!.body.data as Json[];
    const rotation = audit.find((e) => e.action === "endpoint.secret_rotated")!;
    expect(rotation.after).toMatchObject({ secret: "[redacted]", previous_secret: "[redacted]" });
    expect(rotation.after.previous_secret_expires_at).toEqual(expect.any(Number));
    const stored = await h.app.store.getEndpoint(tenant, ep.id);
    for (const value of [stored!.sealedSecret, stored!.previousSealedSecret!]) {
      expect(isSealed(value)).toBe(true);
      for (const s of secrets) expect(value).not.toContain(s.slice("whsec_".length));
    }
  });

  it("signs with old and new secret during the overlap and with the new one only after it", async () => {
    const tenant = await h.tenant();
    const receiver = await h.receiver();
    const ep = await h.api.createEndpoint(tenant, { url: receiver.url });
    const oldSecret = ep.secret as string;
    const before = now();
    const rotated = await h.api.expectPost(`${await endpointPath(tenant, ep)}/rotate-secret`, {}, 200);
    const newSecret = rotated.secret as string;
    const expiresAt = Date.parse(rotated.previous_secret_expires_at);
    expect(expiresAt).toBeGreaterThanOrEqual(before + DAY_MS);
    expect(expiresAt).toBeLessThanOrEqual(now() + DAY_MS);
    expect(await h.api.expectGet(await endpointPath(tenant, ep))).toMatchObject({
      previous_secret_expires_at: rotated.previous_secret_expires_at,
    });

    await h.api.publish(tenant, { type: "a.b", data: { during: "overlap" } });
    await receiver.waitFor(1);
    const during = receiver.received[0]!;
    const entries = String(during.headers["webhook-signature"]).split(" ");
    expect(entries).toHaveLength(2);
    // A verifier that knows only the old secret keeps verifying, and one that knows only the new one does too.
    expect(verifiesWith(oldSecret, during)).toBe(true);
    expect(verifiesWith(newSecret, during)).toBe(true);
    // New first, old second.
    expect(verifiesWith(newSecret, { ...during, headers: { ...during.headers, "webhook-signature": entries[0] } })).toBe(true);
    expect(verifiesWith(oldSecret, { ...during, headers: { ...during.headers, "webhook-signature": entries[1] } })).toBe(true);

    // One minute after the overlap ends.
    clock.offsetMs = expiresAt - Date.now() + 60_000;
    await h.api.publish(tenant, { type: "a.b", data: { after: "overlap" } });
    await receiver.waitFor(2);
    const after = receiver.received[1]!;
    expect(Number(after.headers["webhook-timestamp"]) * 1000).toBeGreaterThan(expiresAt);
    expect(String(after.headers["webhook-signature"]).split(" ")).toHaveLength(1);
    expect(verifiesWith(newSecret, after)).toBe(true);
    expect(verifiesWith(oldSecret, after)).toBe(false);
  });

  it("takes a caller's secret and overlap, and refuses overlaps outside 0 to 7 days", async () => {
    const tenant = await h.tenant();
    const ep = await h.api.createEndpoint(tenant, { url: "http://127.0.0.1:9/" });
    const path = `${await endpointPath(tenant, ep)}/rotate-secret`;
    // (Numeric strings are coerced, as everywhere in the API; text that is no whole number is not.)
    for (const bad of [604_801, -1, 1.5, "soon", [60], {}]) {
      const res = await h.api.post(path, { expire_old_after_s: bad });
      expect(res.status, JSON.stringify(bad)).toBe(400);
      expect(res.body.code).toBe("VALIDATION_FAILED");
    }
    expect((await h.api.post(path, { secret: "whsec_short" })).body.code).toBe("INVALID_SECRET");
    const mine = `whsec_${Buffer.alloc(32, 9).toString("base64")}`;
    const max = await h.api.expectPost(path, { secret: mine, expire_old_after_s: 604_800 }, 200);
    expect(max.secret).toBe(mine);
    expect(Date.parse(max.previous_secret_expires_at) - now()).toBeGreaterThan(604_800_000 - 60_000);
    const none = await h.api.expectPost(path, { expire_old_after_s: 0 }, 200);
    expect(none.previous_secret_expires_at).toBeNull();
    expect(none.public_key).toBeNull();
    expect((await h.api.post(`/v1/tenants/${tenant}/endpoints/ep_missing/rotate-secret`, {})).status).toBe(404);
  });

  it("signs ed25519 endpoints with v1a that the whpk_ public key verifies, through a rotation", async () => {
    const tenant = await h.tenant();
    const receiver = await h.receiver();
    const ep = await h.api.createEndpoint(tenant, { url: receiver.url, signature_scheme: "ed25519" });
    expect(ep.secret).toMatch(/^whsk_[A-Za-z0-9+/]{43}=$/);
    expect(ep.public_key).toBe(ed25519PublicKey(ep.secret));
    const path = await endpointPath(tenant, ep);
    const fetched = await h.api.expectGet(path);
    expect(fetched).toMatchObject({ signature_scheme: "ed25519", public_key: ep.public_key });
    expect(JSON.stringify(fetched)).not.toContain(ep.secret.slice(5));

    await h.api.publish(tenant, { type: "a.b", data: { scheme: "ed25519" } });
    await receiver.waitFor(1);
    const first = receiver.received[0]!;
    expect(first.headers["webhook-signature"]).toMatch(/^v1a,[A-Za-z0-9+/]{86}==$/);
    expect(verifiesWithPublicKey(ep.public_key, first)).toBe(true);
    expect(verifiesWithPublicKey(ed25519PublicKey(`whsk_${Buffer.alloc(32, 1).toString("base64")}`), first)).toBe(false);

    const rotated = await h.api.expectPost(`${path}/rotate-secret`, {}, 200);
    expect(rotated.secret).toMatch(/^whsk_/);
    expect(rotated.public_key).toBe(ed25519PublicKey(rotated.secret));
    expect((await h.api.expectGet(path)).public_key).toBe(rotated.public_key);
    await h.api.publish(tenant, { type: "a.b", data: { scheme: "ed25519", rotated: true } });
    await receiver.waitFor(2);
    const second = receiver.received[1]!;
    expect(String(second.headers["webhook-signature"]).split(" ")).toHaveLength(2);
    expect(verifiesWithPublicKey(ep.public_key, second)).toBe(true);
    expect(verifiesWithPublicKey(rotated.public_key, second)).toBe(true);

    // A secret of the other scheme is refused, and the scheme cannot be changed afterwards.
    expect((await h.api.post(`${path}/rotate-secret`, { secret: `whsec_${Buffer.alloc(32).toString("base64")}` })).body.code).toBe(
      "INVALID_SECRET",
    );
    expect((await h.api.patch(path, { signature_scheme: "hmac_sha256" })).status).toBe(400);
    const unknown = await h.api.post(`/v1/tenants/${tenant}/endpoints`, { url: receiver.url, signature_scheme: "rsa" });
    expect(unknown.status).toBe(400);
    expect(unknown.body.code).toBe("VALIDATION_FAILED");
    // HMAC endpoints say so and have no public key.
    const hmac = await h.api.createEndpoint(tenant, { url: receiver.url });
    expect(hmac).toMatchObject({ signature_scheme: "hmac_sha256", public_key: null, previous_secret_expires_at: null });
  });

  it("replaces the secret at once, without overlap, when PATCH sets it", async () => {
    const tenant = await h.tenant();
    const receiver = await h.receiver();
    const ep = await h.api.createEndpoint(tenant, { url: receiver.url });
    const path = await endpointPath(tenant, ep);
    await h.api.expectPost(`${path}/rotate-secret`, {}, 200);
    const mine = `whsec_${Buffer.alloc(32, 3).toString("base64")}`;
    const patched = await h.api.patch(path, { secret: mine });
    expect(patched.status).toBe(200);
    expect(patched.text).not.toContain(mine);
    expect(patched.body.previous_secret_expires_at).toBeNull();
    await h.api.publish(tenant, { type: "a.b", data: {} });
    await receiver.waitFor(1);
    const req = receiver.received[0]!;
    expect(String(req.headers["webhook-signature"]).split(" ")).toHaveLength(1);
    expect(verifiesWith(mine, req)).toBe(true);
    expect(verifiesWith(ep.secret, req)).toBe(false);
  });
});
