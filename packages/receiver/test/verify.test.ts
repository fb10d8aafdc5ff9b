/**
 * The verifier beyond the reference vectors: secrets being rotated on either side (several signatures in one header,
 * several secrets configured), both signature schemes at once, the five-minute window at its exact edges in both
 * directions, the raw-body guard, and the header and body forms frameworks hand over.
 */
import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { createVerifier, RawBodyError, verifyWebhook, WebhookVerificationError } from "../src/index.js";
import { ed25519Pair, ed25519Signature, hmacSignature, webhookHeaders } from "./support/sign.js";

const secret = () => `whsec_${randomBytes(32).toString("base64")}`;
const NOW_S = 1_800_000_000;
const at = (s: number) => () => s * 1000;
const BODY = '{"id":"evt_1","type":"invoice.paid","data":{"amount":4200}}';

function codeOf(fn: () => unknown): string {
  try {
    fn();
    return "valid";
  } catch (err) {
    if (err instanceof WebhookVerificationError || err instanceof RawBodyError) return err.code;
    throw err;
  }
}

describe("createVerifier", () => {
  it("returns the id, timestamp, attempt, parsed payload and raw bytes of a genuine delivery", () => {
    const s = secret();
    const headers = { ...webhookHeaders("evt_1", NOW_S, hmacSignature(s, "evt_1", NOW_S, BODY)), "webhook-attempt": "3" };
    const webhook = createVerifier({ secret: s, now: at(NOW_S) }).verify(BODY, headers);
    expect(webhook).toEqual({
      id: "evt_1",
      timestamp: new Date(NOW_S * 1000),
      attempt: 3,
      payload: { id: "evt_1", type: "invoice.paid", data: { amount: 4200 } },
      rawBody: Buffer.from(BODY),
    });
  });

  it("accepts a header signed with the old and the new secret while the sender rotates, under either secret", () => {
    const [oldSecret, newSecret] = [secret(), secret()];
    const header = [newSecret, oldSecret].map((k) => hmacSignature(k, "evt_1", NOW_S, BODY)).join(" ");
    const headers = webhookHeaders("evt_1", NOW_S, header);
    expect(codeOf(() => createVerifier({ secret: oldSecret, now: at(NOW_S) }).verify(BODY, headers))).toBe("valid");
    expect(codeOf(() => createVerifier({ secret: newSecret, now: at(NOW_S) }).verify(BODY, headers))).toBe("valid");
    expect(codeOf(() => createVerifier({ secret: secret(), now: at(NOW_S) }).verify(BODY, headers))).toBe("INVALID_SIGNATURE");
  });

  it("accepts any of several configured secrets, so the receiver can switch before or after the sender", () => {
    const [a, b] = [secret(), secret()];
    const verifier = createVerifier({ secret: [a, b], now: at(NOW_S) });
    for (const k of [a, b]) {
      expect(codeOf(() => verifier.verify(BODY, webhookHeaders("evt_1", NOW_S, hmacSignature(k, "evt_1", NOW_S, BODY))))).toBe("valid");
    }
  });

  it("verifies Ed25519 (v1a) with the public key, and checks both schemes when both are configured", () => {
    const pair = ed25519Pair();
    const other = ed25519Pair();
    const s = secret();
    const v1a = ed25519Signature(pair, "evt_1", NOW_S, BODY);
    const v1 = hmacSignature(s, "evt_1", NOW_S, BODY);
    const only = createVerifier({ publicKey: pair.publicKey, now: at(NOW_S) });
    expect(codeOf(() => only.verify(BODY, webhookHeaders("evt_1", NOW_S, v1a)))).toBe("valid");
    // A v1 entry means nothing to a verifier that holds only a public key, and another key's v1a is refused.
    expect(codeOf(() => only.verify(BODY, webhookHeaders("evt_1", NOW_S, v1)))).toBe("INVALID_SIGNATURE");
    expect(codeOf(() => only.verify(BODY, webhookHeaders("evt_1", NOW_S, ed25519Signature(other, "evt_1", NOW_S, BODY))))).toBe(
      "INVALID_SIGNATURE",
    );
    const both = createVerifier({ secret: s, publicKey: [other.publicKey, pair.publicKey], now: at(NOW_S) });
    expect(codeOf(() => both.verify(BODY, webhookHeaders("evt_1", NOW_S, v1)))).toBe("valid");
    expect(codeOf(() => both.verify(BODY, webhookHeaders("evt_1", NOW_S, `v1,bm9wZQ== ${v1a}`)))).toBe("valid");
    // The signature covers id and timestamp as well as the body.
    expect(codeOf(() => both.verify(BODY, webhookHeaders("evt_2", NOW_S, v1a)))).toBe("INVALID_SIGNATURE");
  });

  it("holds a five-minute window in both directions, edges included", () => {
    const s = secret();
    const verifyAt = (ts: number, toleranceS?: number) =>
      codeOf(() =>
        createVerifier({ secret: s, now: at(NOW_S), ...(toleranceS === undefined ? {} : { toleranceS }) }).verify(
          BODY,
          webhookHeaders("evt_1", ts, hmacSignature(s, "evt_1", ts, BODY)),
        ),
      );
    expect(verifyAt(NOW_S - 300)).toBe("valid");
    expect(verifyAt(NOW_S + 300)).toBe("valid");
    expect(verifyAt(NOW_S - 301)).toBe("TIMESTAMP_TOO_OLD");
    expect(verifyAt(NOW_S + 301)).toBe("TIMESTAMP_TOO_NEW");
    expect(verifyAt(NOW_S - 3600)).toBe("TIMESTAMP_TOO_OLD");
    expect(verifyAt(NOW_S - 60, 30)).toBe("TIMESTAMP_TOO_OLD");
    // The window is checked before the signature: a stale request with a forged signature says it is stale.
    expect(codeOf(() => createVerifier({ secret: s, now: at(NOW_S) }).verify(BODY, webhookHeaders("e", NOW_S - 999, "v1,x")))).toBe(
      "TIMESTAMP_TOO_OLD",
    );
  });

  it("compares the signature text exactly: another spelling of the right bytes is refused", () => {
    const s = secret();
    const good = hmacSignature(s, "evt_1", NOW_S, BODY);
    const verifier = createVerifier({ secret: s, now: at(NOW_S) });
    // Node's base64 decoder ignores a stray character and missing padding; the comparison must not.
    for (const variant of [`${good}=`, good.replace(/=$/, ""), `${good.slice(0, 10)}!${good.slice(10)}`, ` ${good}`.trim().toLowerCase()]) {
      expect(codeOf(() => verifier.verify(BODY, webhookHeaders("evt_1", NOW_S, variant))), variant).toBe("INVALID_SIGNATURE");
    }
    expect(codeOf(() => verifier.verify(BODY, webhookHeaders("evt_1", NOW_S, `v1a,${good.slice(3)} ${good}`)))).toBe("valid");
  });

  it("takes the body as text, Buffer, a Uint8Array view into a larger buffer, or an ArrayBuffer", () => {
    const s = secret();
    const headers = webhookHeaders("evt_1", NOW_S, hmacSignature(s, "evt_1", NOW_S, BODY));
    const verifier = createVerifier({ secret: s, now: at(NOW_S) });
    const padded = Buffer.from(`xxxx${BODY}yyyy`);
    const view = new Uint8Array(padded.buffer, padded.byteOffset + 4, BODY.length);
    const arrayBuffer = new TextEncoder().encode(BODY).buffer;
    for (const body of [BODY, Buffer.from(BODY), view, arrayBuffer]) {
      expect(verifier.verify(body, headers).payload).toEqual(JSON.parse(BODY));
    }
  });

  it("refuses a body that was already parsed, saying the raw bytes are needed", () => {
    const s = secret();
    const headers = webhookHeaders("evt_1", NOW_S, hmacSignature(s, "evt_1", NOW_S, BODY));
    const verifier = createVerifier({ secret: s, now: at(NOW_S) });
    let caught: unknown;
    try {
      verifier.verify(JSON.parse(BODY) as never, headers);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(RawBodyError);
    expect((caught as RawBodyError).message).toMatch(/raw request body.*got object: a body parser ran first/);
    expect((caught as RawBodyError).status).toBe(500);
    // A re-serialised body differs from the signed bytes (spacing here), and fails as a signature would.
    const respaced = JSON.stringify(JSON.parse(BODY), null, 1);
    expect(codeOf(() => verifier.verify(respaced, headers))).toBe("INVALID_SIGNATURE");
  });

  it("refuses a signed body that is not JSON only after the signature verified", () => {
    const s = secret();
    const verifier = createVerifier({ secret: s, now: at(NOW_S) });
    expect(codeOf(() => verifier.verify("not json", webhookHeaders("e", NOW_S, hmacSignature(s, "e", NOW_S, "not json"))))).toBe(
      "INVALID_PAYLOAD",
    );
    expect(codeOf(() => verifier.verify("not json", webhookHeaders("e", NOW_S, hmacSignature(s, "e", NOW_S, "other"))))).toBe(
      "INVALID_SIGNATURE",
    );
    const text = createVerifier({ secret: s, now: at(NOW_S), parseJson: false });
    expect(text.verify("not json", webhookHeaders("e", NOW_S, hmacSignature(s, "e", NOW_S, "not json"))).payload).toBe("not json");
  });

  it("answers each refusal with its status: 400 for a malformed request, 401 for a stale or forged one", () => {
    const s = secret();
    const statusOf = (headers: Record<string, string>) => {
      try {
        verifyWebhook(BODY, headers, { secret: s, now: at(NOW_S) });
      } catch (err) {
        return (err as WebhookVerificationError).status;
      }
      return 200;
    };
    expect(statusOf({ "webhook-id": "e", "webhook-timestamp": String(NOW_S) })).toBe(400);
    expect(statusOf(webhookHeaders("e", Number.NaN, "v1,x"))).toBe(400);
    expect(statusOf(webhookHeaders("e", NOW_S, "v1,x"))).toBe(401);
    expect(statusOf(webhookHeaders("e", NOW_S - 400, "v1,x"))).toBe(401);
  });

  it("refuses to be built without a key or with a malformed one, without echoing the key", () => {
    expect(() => createVerifier({})).toThrow(/secret \(whsec_\.\.\.\) or its public key/);
    expect(() => createVerifier({ secret: [] })).toThrow(TypeError);
    expect(() => createVerifier({ secret: "whsec_not base64!" })).toThrow(/standard base64/);
    const shortKey = `whpk_${Buffer.alloc(16).toString("base64")}`;
    expect(() => createVerifier({ publicKey: shortKey })).toThrow("must hold 32 bytes, not 16");
    try {
      createVerifier({ secret: "whsec_c2VjcmV0IHRleHQ" });
    } catch (err) {
      expect((err as Error).message).not.toContain("c2VjcmV0IHRleHQ");
    }
    expect(() => createVerifier({ secret: secret(), toleranceS: -1 })).toThrow(/toleranceS/);
  });
});
