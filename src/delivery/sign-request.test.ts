import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { generateMasterKey } from "../secrets/master-key.ts";
import { SecretBox, SecretUnsealError } from "../secrets/secret-box.ts";
import {
  ed25519PublicKey,
  generateEd25519Secret,
  parseEd25519PublicKey,
  verifyEd25519Header,
} from "../signing/ed25519.ts";
import { generateSecret } from "../signing/secret.ts";
import type { ClaimedDelivery } from "./claimed.ts";
import { RequestSigner } from "./sign-request.ts";

const box = new SecretBox(generateMasterKey());
const NOW = Date.now();
const BODY = '{"id":"evt_1","type":"a.b","timestamp":"2026-01-01T00:00:00.000Z","data":{}}';

function delivery(current: string, previous: string | null, expiresAt: number | null, scheme = "hmac_sha256"): ClaimedDelivery {
  return {
    id: "dlv_1",
    tenantId: "acme",
    eventId: "evt_1",
    endpointId: "ep_1",
    seq: 7,
    attempts: 0,
    cycleAttempts: 0,
    event: { type: "a.b", dataJson: "{}", createdAt: NOW },
    endpoint: {
      url: "https://example.com/hook",
      signatureScheme: scheme as "hmac_sha256" | "ed25519",
      sealedSecret: box.seal(current, "ep_1"),
      previousSealedSecret: previous === null ? null : box.seal(previous, "ep_1"),
      previousSecretExpiresAt: expiresAt,
      headers: {},
      oauth2: null,
      mtls: null,
      timeoutMs: 10_000,
      retryScheduleS: null,
      payloadMode: "full",
    },
  };
}

function verifies(secret: string, header: string, timestampS: number): boolean {
  const headers = { "webhook-id": "evt_1", "webhook-timestamp": String(timestampS), "webhook-signature": header };
  try {
    new Webhook(secret).verify(BODY, headers);
    return true;
  } catch {
    return false;
  }
}

describe("RequestSigner", () => {
  const signer = new RequestSigner(box);
  const ts = Math.floor(NOW / 1000);

  it("signs with the current secret alone when there is no rotation", () => {
    const secret = generateSecret();
    const header = signer.signatureHeader(delivery(secret, null, null), ts, BODY, NOW);
    expect(header.split(" ")).toHaveLength(1);
    expect(verifies(secret, header, ts)).toBe(true);
  });

  it("during the overlap sends both signatures, new first, and either secret verifies", () => {
    const [next, old] = [generateSecret(), generateSecret()];
    const header = signer.signatureHeader(delivery(next, old, NOW + 1), ts, BODY, NOW);
    const entries = header.split(" ");
    expect(entries).toHaveLength(2);
    expect(verifies(next, entries[0]!, ts)).toBe(true);
    expect(verifies(old, entries[1]!, ts)).toBe(true);
    expect(verifies(next, header, ts)).toBe(true);
    expect(verifies(old, header, ts)).toBe(true);
    expect(verifies(generateSecret(), header, ts)).toBe(false);
  });

  it("drops the old signature from the moment the overlap ends", () => {
    const [next, old] = [generateSecret(), generateSecret()];
    const header = signer.signatureHeader(delivery(next, old, NOW), ts, BODY, NOW);
    expect(header.split(" ")).toHaveLength(1);
    expect(verifies(next, header, ts)).toBe(true);
    expect(verifies(old, header, ts)).toBe(false);
  });

  it("signs ed25519 endpoints with v1a, both keys during the overlap", () => {
    const [next, old] = [generateEd25519Secret(), generateEd25519Secret()];
    const header = signer.signatureHeader(delivery(next, old, NOW + 60_000, "ed25519"), ts, BODY, NOW);
    expect(header).toMatch(/^v1a,\S+ v1a,\S+$/);
    for (const s of [next, old]) {
      expect(verifyEd25519Header(parseEd25519PublicKey(ed25519PublicKey(s)), "evt_1", ts, BODY, header)).toBe(true);
    }
    const after = signer.signatureHeader(delivery(next, old, NOW, "ed25519"), ts, BODY, NOW);
    expect(verifyEd25519Header(parseEd25519PublicKey(ed25519PublicKey(old)), "evt_1", ts, BODY, after)).toBe(false);
  });

  it("throws rather than sign when the secret's key is not configured", () => {
    const other = new RequestSigner(new SecretBox(generateMasterKey()));
    expect(() => other.signatureHeader(delivery(generateSecret(), null, null), ts, BODY, NOW)).toThrow(SecretUnsealError);
  });
});
