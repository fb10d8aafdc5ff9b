import { createPublicKey, verify } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  ed25519PublicKey,
  generateEd25519Secret,
  parseEd25519PublicKey,
  parseEd25519Secret,
  signEd25519,
  verifyEd25519Header,
} from "./ed25519.ts";
import { SecretFormatError } from "./secret.ts";

/**
 * The asymmetric signing vector of the Standard Webhooks reference libraries: the seed is the base64 text (without
 * a prefix there), and the expected signature is theirs.
 */
const VECTOR = {
  seed: "VEVTVFNJR05JTkdLRVlET05PVFVTRVRISVNGT1JBTlk=",
  msgId: "msg_p5jXN8AQM9LWM0D4loKWxJek",
  timestampS: 1614265330,
  body: '{"test": 2432232314}',
  signature: "v1a,tQ9V2XOqn7jL/DQenEFpqIugdBVtiMmER5mhSkXBNwM0mkATuDe6KYYUuxqtaiHeYGb7KaaBRdM5WqyeFiL8Ag==",
};

describe("Ed25519 (v1a) signing", () => {
  it("matches the Standard Webhooks reference vector byte for byte", () => {
    const key = parseEd25519Secret(`whsk_${VECTOR.seed}`);
    expect(signEd25519(key, VECTOR.msgId, VECTOR.timestampS, VECTOR.body)).toBe(VECTOR.signature);
  });

  it("gives a whpk_ key that a receiver verifies with plain node:crypto", () => {
    const secret = generateEd25519Secret();
    expect(secret).toMatch(/^whsk_[A-Za-z0-9+/]{43}=$/);
    const publicKey = ed25519PublicKey(secret);
    expect(publicKey).toMatch(/^whpk_[A-Za-z0-9+/]{43}=$/);
    const header = signEd25519(parseEd25519Secret(secret), "evt_1", 1_700_000_000, '{"a":1}');
    // What a receiver without hookd's code does: raw 32-byte key -> JWK -> verify the signed content.
    const raw = Buffer.from(publicKey.slice("whpk_".length), "base64");
    const receiverKey = createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x: raw.toString("base64url") }, format: "jwk" });
    const signature = Buffer.from(header.slice("v1a,".length), "base64");
    expect(verify(null, Buffer.from('evt_1.1700000000.{"a":1}'), receiverKey, signature)).toBe(true);
    expect(verify(null, Buffer.from('evt_1.1700000000.{"a":2}'), receiverKey, signature)).toBe(false);
  });

  it("verifies a header with several entries and rejects other keys and content", () => {
    const a = generateEd25519Secret();
    const b = generateEd25519Secret();
    const header = [a, b].map((s) => signEd25519(parseEd25519Secret(s), "evt_1", 10, "body")).join(" ");
    const withV1 = `v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc= ${header}`;
    expect(verifyEd25519Header(parseEd25519PublicKey(ed25519PublicKey(a)), "evt_1", 10, "body", withV1)).toBe(true);
    expect(verifyEd25519Header(parseEd25519PublicKey(ed25519PublicKey(b)), "evt_1", 10, "body", withV1)).toBe(true);
    const c = parseEd25519PublicKey(ed25519PublicKey(generateEd25519Secret()));
    expect(verifyEd25519Header(c, "evt_1", 10, "body", withV1)).toBe(false);
    const pa = parseEd25519PublicKey(ed25519PublicKey(a));
    expect(verifyEd25519Header(pa, "evt_1", 11, "body", header)).toBe(false);
    expect(verifyEd25519Header(pa, "evt_1", 10, "body ", header)).toBe(false);
    expect(verifyEd25519Header(pa, "evt_1", 10, "body", "v1a,!!!")).toBe(false);
  });

  it.each([
    ["a whsec_ secret", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"],
    ["a short seed", `whsk_${Buffer.alloc(16).toString("base64")}`],
    ["a 64-byte key", `whsk_${Buffer.alloc(64).toString("base64")}`],
    ["url-safe base64", `whsk_${Buffer.alloc(32, 0xfb).toString("base64url")}`],
  ])("refuses %s", (_name, text) => {
    expect(() => parseEd25519Secret(text)).toThrow(SecretFormatError);
  });
});
