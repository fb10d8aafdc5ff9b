import { randomBytes } from "node:crypto";
import fc from "fast-check";
import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { generateSecret, parseSecret } from "./secret.ts";
import {
  DEFAULT_TOLERANCE_S,
  signatureHeader,
  signPayload,
  type VerifySignatureOptions,
  verifySignature,
} from "./standard-webhooks.ts";
import {
  fixtureKey,
  type NegativeCase,
  signVector,
  type VerificationScenario,
  vectorPayload,
  vectors,
} from "./vectors.test-support.ts";

// A fixed clock for every fixture case whose timestamp is "now": verifySignature takes the clock as an argument.
const NOW_S = 1_760_000_000;

// The fixture entry most libraries' tests share; negative cases without their own secret/id/payload refer to it.
const basic = signVector("sw-v1-basic");
const basicKey = fixtureKey(basic.secret ?? "");
const basicPayload = vectorPayload(basic);

function verifyBasic(header: string, overrides: Partial<VerifySignatureOptions> = {}): boolean {
  return verifySignature({
    keys: [basicKey],
    msgId: basic.msg_id,
    timestampS: basic.timestamp,
    body: basicPayload,
    header,
    nowS: basic.timestamp,
    ...overrides,
  });
}

describe("sign vectors", () => {
  // Only v1 (HMAC-SHA256) vectors apply; v1a (Ed25519) is an asymmetric scheme this module does not implement.
  const isV1 = (v: { scheme: string; expected_signature: string }) =>
    v.scheme.startsWith("v1 (HMAC") && v.expected_signature.startsWith("v1,");
  const v1Vectors = vectors.sign_vectors.filter(isV1);

  it("the fixture holds v1 vectors, and every vector left out is of another scheme", () => {
    expect(v1Vectors.length).toBeGreaterThan(0);
    for (const v of vectors.sign_vectors.filter((x) => !isV1(x))) {
      expect(v.expected_signature.startsWith("v1,")).toBe(false);
      expect(v.secret).toBeUndefined();
    }
  });

  it.each(v1Vectors)("$id: signPayload reproduces expected_signature", (v) => {
    const key = fixtureKey(v.secret ?? "");
    if (v.secret_key_bytes_len !== undefined) {
      expect(key.length).toBe(v.secret_key_bytes_len);
    }
    const payload = vectorPayload(v);
    expect(signPayload(key, v.msg_id, v.timestamp, payload)).toBe(v.expected_signature);
    expect(signPayload(key, v.msg_id, v.timestamp, Buffer.from(payload, "utf8"))).toBe(v.expected_signature);
  });

  it.each(v1Vectors)("$id: verifySignature accepts expected_signature at the vector's own time", (v) => {
    const key = fixtureKey(v.secret ?? "");
    const opts = { keys: [key], msgId: v.msg_id, timestampS: v.timestamp, body: vectorPayload(v) };
    expect(verifySignature({ ...opts, header: v.expected_signature, nowS: v.timestamp })).toBe(true);
    // The same vector replayed against the real clock is far outside the tolerance.
    expect(verifySignature({ ...opts, header: v.expected_signature, nowS: NOW_S })).toBe(false);
  });
});

describe("verification scenarios", () => {
  const applied: Record<string, (s: VerificationScenario) => void> = {
    "multi-signature-header": (s) => {
      const key = fixtureKey(s.secret ?? "");
      const body = s.payload ?? "";
      const msgId = s.msg_id ?? "";
      const template = s.webhook_signature_header_template ?? "";
      const placeholder = "<valid v1 signature for now>";
      expect(template).toContain(placeholder);
      const opts = { keys: [key], msgId, timestampS: NOW_S, body, nowS: NOW_S };
      const header = template.replace(placeholder, signPayload(key, msgId, NOW_S, body));
      expect(verifySignature({ ...opts, header })).toBe(true);
      // Without the real entry the remaining v1/v2 decoys must not verify.
      const decoysOnly = template.split(" ").filter((entry) => entry !== placeholder);
      expect(verifySignature({ ...opts, header: decoysOnly.join(" ") })).toBe(false);
    },
    "multi-signature-header-rust": (s) => {
      const key = fixtureKey(s.secret ?? "");
      const body = s.payload ?? "";
      const msgId = s.msg_id ?? "";
      const decoys = s.decoy_signatures ?? [];
      expect(decoys).toHaveLength(3);
      const [d1, d2, d3] = decoys as [string, string, string];
      const opts = { keys: [key], msgId, timestampS: NOW_S, body, nowS: NOW_S };
      const real = signPayload(key, msgId, NOW_S, body);
      expect(verifySignature({ ...opts, header: [d1, d2, real, d3].join(" ") })).toBe(true);
      expect(verifySignature({ ...opts, header: decoys.join(" ") })).toBe(false);
    },
    "empty-payload": (s) => {
      const key = fixtureKey(s.secret ?? "");
      const msgId = s.msg_id ?? "";
      expect(s.payload).toBe("");
      const header = signPayload(key, msgId, NOW_S, "");
      const opts = { keys: [key], msgId, timestampS: NOW_S, nowS: NOW_S, header };
      expect(verifySignature({ ...opts, body: "" })).toBe(true);
      expect(verifySignature({ ...opts, body: Buffer.alloc(0) })).toBe(true);
      expect(verifySignature({ ...opts, body: " " })).toBe(false);
    },
  };
  const notApplicable: Record<string, string> = {
    // parseSecret requires `whsec_` by design, and verifySignature takes key bytes, not secret text.
    "prefix-optional": "secret-text parsing leniency of the JS library; hookd's secret format requires the prefix",
    // Python-only leniency the fixture itself says not to rely on; secret.test.ts asserts parseSecret rejects these.
    "unpadded-base64-secret": "Python-only unpadded secret decoding; hookd parses secrets strictly",
    // Header-name lookup happens in the HTTP layer; verifySignature receives header values.
    "mixed-case-header-names": "tests header-name lookup of a library verify(headers) API we do not have",
  };

  it("every scenario in the fixture is either applied or explicitly excluded", () => {
    const ids = vectors.verification_scenarios.map((s) => s.id).sort();
    expect(ids).toEqual([...Object.keys(applied), ...Object.keys(notApplicable)].sort());
    expect(Object.keys(applied).length).toBeGreaterThan(0);
  });

  const cases = vectors.verification_scenarios.filter((s) => s.id in applied);
  it.each(cases)("$id", (s) => {
    expect(s.expect.startsWith("valid")).toBe(true);
    applied[s.id]?.(s);
  });
});

describe("negative cases", () => {
  const validHeader = basic.expected_signature;
  const asList = (value: string | string[] | undefined): string[] =>
    value === undefined ? [] : Array.isArray(value) ? value : [value];

  // A fresh signature at NOW_S for the tolerance cases, which need a moving timestamp.
  function verifyAt(timestampS: number, nowS: number): boolean {
    const header = signPayload(basicKey, basic.msg_id, timestampS, basicPayload);
    return verifyBasic(header, { timestampS, nowS });
  }
  function toleranceOffset(c: NegativeCase): number {
    const match = /now ([+-]) (\d+) s/.exec(c.webhook_timestamp ?? "");
    expect(match).not.toBeNull();
    const [, sign, seconds] = match as RegExpExecArray;
    return (sign === "-" ? -1 : 1) * Number(seconds);
  }
  // Header value sent as given, against the basic vector at its own time.
  const rejectsHeader = (c: NegativeCase) => {
    for (const header of asList(c.webhook_signature)) {
      expect(verifyBasic(header)).toBe(false);
    }
  };

  const applied: Record<string, (c: NegativeCase) => void> = {
    // A missing header reaches verifySignature as an empty id, an unparseable timestamp or an empty signature.
    "missing-webhook-id": () => expect(verifyBasic(validHeader, { msgId: "" })).toBe(false),
    "missing-webhook-timestamp": () => expect(verifyBasic(validHeader, { timestampS: Number(undefined) })).toBe(false),
    "missing-webhook-signature": () => expect(verifyBasic("")).toBe(false),
    "non-numeric-timestamp": (c) =>
      expect(verifyBasic(validHeader, { timestampS: Number(c.webhook_timestamp) })).toBe(false),
    "timestamp-too-old": (c) => {
      const offset = toleranceOffset(c);
      expect(offset).toBeLessThan(-DEFAULT_TOLERANCE_S);
      expect(verifyAt(NOW_S + offset, NOW_S)).toBe(false);
      expect(verifyAt(NOW_S - DEFAULT_TOLERANCE_S, NOW_S)).toBe(true);
    },
    "timestamp-too-new": (c) => {
      const offset = toleranceOffset(c);
      expect(offset).toBeGreaterThan(DEFAULT_TOLERANCE_S);
      expect(verifyAt(NOW_S + offset, NOW_S)).toBe(false);
      expect(verifyAt(NOW_S + DEFAULT_TOLERANCE_S, NOW_S)).toBe(true);
    },
    "garbage-signature-js-php": rejectsHeader,
    "one-char-off-python": rejectsHeader,
    "truncated-ruby-csharp": rejectsHeader,
    "right-bytes-wrong-version": rejectsHeader,
    "no-separator": rejectsHeader,
    "non-base64-value": rejectsHeader,
    "wrong-rust": (c) => {
      // The entry names the Rust secret and id; payload and timestamp are those of the Rust sign vector.
      const rust = signVector("sw-v1-rust");
      expect(c.msg_id).toBe(rust.msg_id);
      const key = fixtureKey(asList(c.secret)[0] ?? "");
      const opts = { keys: [key], msgId: rust.msg_id, timestampS: rust.timestamp, body: vectorPayload(rust) };
      for (const header of asList(c.webhook_signature)) {
        expect(verifySignature({ ...opts, header, nowS: rust.timestamp })).toBe(false);
      }
      expect(verifySignature({ ...opts, header: rust.expected_signature, nowS: rust.timestamp })).toBe(true);
    },
    "partial-signature": (c) => {
      const described = asList(c.webhook_signature);
      const headers = described.map((d) => (d.startsWith("first 8 characters") ? validHeader.slice(0, 8) : d));
      expect(headers).toEqual([validHeader.slice(0, 8), "v1,"]);
      for (const header of headers) {
        expect(verifyBasic(header)).toBe(false);
      }
    },
    "bad-timestamp-on-sign-php": (c) => {
      // "161426533.0" is the integer 161426533 once parsed: the distinction exists only for header text, which
      // signPayload does not take. The other spellings are NaN and a negative number, which signPayload refuses.
      const timestamps = asList(c.timestamp).map(Number).filter((t) => !Number.isSafeInteger(t) || t < 0);
      expect(timestamps).toHaveLength(2);
      for (const t of timestamps) {
        expect(() => signPayload(basicKey, basic.msg_id, t, basicPayload)).toThrow(RangeError);
        expect(verifyBasic(validHeader, { timestampS: t, nowS: t })).toBe(false);
      }
    },
  };
  const notApplicable: Record<string, string> = {
    // Secret text validation lives in parseSecret; secret.test.ts runs this case.
    "empty-secret": "constructor check of a library Webhook(secret) class; covered by secret.test.ts",
  };

  it("every negative case in the fixture is either applied or explicitly excluded", () => {
    const ids = vectors.negative_cases.map((c) => c.id).sort();
    expect(ids).toEqual([...Object.keys(applied), ...Object.keys(notApplicable)].sort());
    expect(Object.keys(applied).length).toBeGreaterThan(0);
  });

  it("the unmodified basic vector verifies, so each rejection below is caused by the case's change", () => {
    expect(verifyBasic(validHeader)).toBe(true);
  });

  const cases = vectors.negative_cases.filter((c) => c.id in applied);
  it.each(cases)("$id", (c) => {
    expect(c.expect.startsWith("reject") || c.expect.includes("throws")).toBe(true);
    applied[c.id]?.(c);
  });
});

describe("verifySignature details", () => {
  it("compares base64 text, so a non-canonical spelling of the right bytes is rejected", () => {
    // The last character before '=' carries 2 unused bits; E (000100) and F (000101) decode to the same bytes.
    const altered = validHeaderWithLastChar("F");
    expect(Buffer.from(altered.slice(3), "base64")).toEqual(Buffer.from(basic.expected_signature.slice(3), "base64"));
    expect(verifyBasic(altered)).toBe(false);
  });

  it("rejects the right signature with junk appended or with a second comma field", () => {
    expect(verifyBasic(`${basic.expected_signature}!!`)).toBe(false);
    expect(verifyBasic(`${basic.expected_signature},extra`)).toBe(false);
    expect(verifyBasic(basic.expected_signature.replace("v1,", "V1,"))).toBe(false);
  });

  it("skips empty entries from repeated spaces", () => {
    expect(verifyBasic(`v1a,xyz  ${basic.expected_signature}  `)).toBe(true);
  });

  it("honours a custom tolerance, inclusive at the bound", () => {
    expect(verifyBasic(basic.expected_signature, { nowS: basic.timestamp + 10, toleranceS: 10 })).toBe(true);
    expect(verifyBasic(basic.expected_signature, { nowS: basic.timestamp + 11, toleranceS: 10 })).toBe(false);
    expect(verifyBasic(basic.expected_signature, { nowS: basic.timestamp - 11, toleranceS: 10 })).toBe(false);
    expect(verifyBasic(basic.expected_signature, { toleranceS: -1 })).toBe(false);
    expect(verifyBasic(basic.expected_signature, { toleranceS: Number.NaN })).toBe(false);
  });

  it("accepts when any of several keys matches and rejects when none does", () => {
    const other = randomBytes(32);
    expect(verifyBasic(basic.expected_signature, { keys: [other, basicKey] })).toBe(true);
    expect(verifyBasic(basic.expected_signature, { keys: [other] })).toBe(false);
    expect(verifyBasic(basic.expected_signature, { keys: [] })).toBe(false);
    expect(verifyBasic(basic.expected_signature, { keys: [Buffer.alloc(0)] })).toBe(false);
  });

  it("returns false instead of throwing on malformed options", () => {
    const bad = [
      { header: undefined },
      { header: 42 },
      { keys: undefined },
      { keys: ["not a buffer", basicKey] },
      { msgId: null },
      { body: { toString: () => basicPayload } },
      { nowS: Number.NaN },
      { timestampS: 1.5 },
      { timestampS: "1614265330" },
    ] as unknown as Array<Partial<VerifySignatureOptions>>;
    for (const override of bad) {
      expect(() => verifyBasic(basic.expected_signature, override)).not.toThrow();
    }
    // The one malformed key is skipped; the valid key after it still matches.
    expect(verifyBasic(basic.expected_signature, bad[3])).toBe(true);
    for (const override of bad.filter((_, i) => i !== 3)) {
      expect(verifyBasic(basic.expected_signature, override)).toBe(false);
    }
  });

  it("never throws and never accepts for arbitrary header text", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 200 }), (header) => {
        expect(verifyBasic(header)).toBe(false);
      }),
    );
  });
});

function validHeaderWithLastChar(char: string): string {
  const sig = basic.expected_signature;
  expect(sig.endsWith("E=")).toBe(true);
  return `${sig.slice(0, -2)}${char}=`;
}

describe("signatureHeader", () => {
  it("joins one signature per key, in key order, with single spaces", () => {
    const other = randomBytes(40);
    const header = signatureHeader([basicKey, other], basic.msg_id, basic.timestamp, basicPayload);
    expect(header).toBe(
      `${basic.expected_signature} ${signPayload(other, basic.msg_id, basic.timestamp, basicPayload)}`,
    );
  });

  it("refuses an empty key list, which would produce a header nothing can verify", () => {
    expect(() => signatureHeader([], basic.msg_id, basic.timestamp, basicPayload)).toThrow(RangeError);
  });
});

describe("signPayload input checks", () => {
  it("refuses an empty key and timestamps that are not non-negative whole seconds", () => {
    expect(() => signPayload(Buffer.alloc(0), "m", 1, "")).toThrow(RangeError);
    for (const t of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53]) {
      expect(() => signPayload(basicKey, "m", t, "")).toThrow(RangeError);
    }
    expect(signPayload(basicKey, "m", 0, "")).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/);
  });
});

describe("cross-check with the standardwebhooks package", () => {
  const nowS = () => Math.floor(Date.now() / 1000);
  const headers = (id: string, ts: number, sig: string) => ({
    "webhook-id": id,
    "webhook-timestamp": String(ts),
    "webhook-signature": sig,
  });

  it("accepts our signature and returns the parsed payload; rejects a tampered body", () => {
    const secret = generateSecret();
    const key = parseSecret(secret);
    const id = `msg_${randomBytes(8).toString("hex")}`;
    const ts = nowS();
    const payload = { type: "invoice.paid", data: { amount: 1250, currency: "EUR", note: "café ✓" } };
    const body = JSON.stringify(payload);
    const sig = signPayload(key, id, ts, body);
    const webhook = new Webhook(secret);

    expect(webhook.verify(body, headers(id, ts, sig))).toEqual(payload);
    expect(() => webhook.verify(body.replace("1250", "1251"), headers(id, ts, sig))).toThrow(/signature/i);
    expect(() => new Webhook(generateSecret()).verify(body, headers(id, ts, sig))).toThrow(/signature/i);
  });

  it("a two-key rotation header passes for either secret and fails for a third", () => {
    const [oldSecret, newSecret] = [generateSecret(), generateSecret(48)];
    const id = `msg_${randomBytes(8).toString("hex")}`;
    const ts = nowS();
    const body = JSON.stringify({ rotated: true });
    const header = signatureHeader([parseSecret(newSecret), parseSecret(oldSecret)], id, ts, body);
    expect(header.split(" ")).toHaveLength(2);

    for (const secret of [oldSecret, newSecret]) {
      expect(new Webhook(secret).verify(body, headers(id, ts, header))).toEqual({ rotated: true });
    }
    expect(() => new Webhook(generateSecret()).verify(body, headers(id, ts, header))).toThrow(/signature/i);
  });

  it("agrees with the package in both directions for arbitrary text bodies and ids", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 24, maxLength: 64 }),
        fc.string({ unit: "binary", minLength: 1, maxLength: 40 }),
        fc.string({ unit: "binary", maxLength: 300 }),
        (keyBytes, id, body) => {
          const key = Buffer.from(keyBytes);
          const secret = `whsec_${key.toString("base64")}`;
          const webhook = new Webhook(secret);
          const ts = nowS();
          const ours = signPayload(key, id, ts, body);
          expect(webhook.sign(id, new Date(ts * 1000), body)).toBe(ours);
          expect(() => webhook.verify(body, headers(id, ts, ours), { jsonParse: false })).not.toThrow();
          const theirs = webhook.sign(id, new Date(ts * 1000), body);
          expect(verifySignature({ keys: [key], msgId: id, timestampS: ts, body, header: theirs, nowS: ts })).toBe(
            true,
          );
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe("properties", () => {
  const key = fc.uint8Array({ minLength: 24, maxLength: 64 }).map((b) => Buffer.from(b));
  const msgId = fc.string({ unit: "binary", maxLength: 64 });
  const textBody = fc.string({ unit: "binary", maxLength: 500 });
  const bytesBody = fc.uint8Array({ maxLength: 500 }).map((b) => Buffer.from(b));
  const body = fc.oneof(textBody, bytesBody);
  const timestamp = fc.integer({ min: 0, max: 4_102_444_800 });

  it("sign then verify is true", () => {
    fc.assert(
      fc.property(key, msgId, timestamp, body, (k, id, ts, b) => {
        const header = signPayload(k, id, ts, b);
        expect(verifySignature({ keys: [k], msgId: id, timestampS: ts, body: b, header, nowS: ts })).toBe(true);
      }),
    );
  });

  it("a text body and its UTF-8 bytes sign identically", () => {
    fc.assert(
      fc.property(key, msgId, timestamp, textBody, (k, id, ts, b) => {
        expect(signPayload(k, id, ts, Buffer.from(b, "utf8"))).toBe(signPayload(k, id, ts, b));
      }),
    );
  });

  it("flipping bits of any single body byte makes verify false", () => {
    const bodyAndFlip = fc
      .uint8Array({ minLength: 1, maxLength: 500 })
      .chain((b) =>
        fc.tuple(fc.constant(Buffer.from(b)), fc.nat({ max: b.length - 1 }), fc.integer({ min: 1, max: 255 })),
      );
    fc.assert(
      fc.property(key, msgId, timestamp, bodyAndFlip, (k, id, ts, [b, index, mask]) => {
        const header = signPayload(k, id, ts, b);
        const tampered = Buffer.from(b);
        tampered[index] = (tampered[index] ?? 0) ^ mask;
        expect(verifySignature({ keys: [k], msgId: id, timestampS: ts, body: tampered, header, nowS: ts })).toBe(
          false,
        );
      }),
    );
  });

  it("changing the id makes verify false", () => {
    fc.assert(
      fc.property(key, msgId, msgId, timestamp, body, (k, id, otherId, ts, b) => {
        fc.pre(id !== otherId);
        const header = signPayload(k, id, ts, b);
        expect(verifySignature({ keys: [k], msgId: otherId, timestampS: ts, body: b, header, nowS: ts })).toBe(false);
      }),
    );
  });

  it("changing the timestamp within the tolerance makes verify false", () => {
    const delta = fc.integer({ min: -DEFAULT_TOLERANCE_S, max: DEFAULT_TOLERANCE_S }).filter((d) => d !== 0);
    fc.assert(
      fc.property(key, msgId, fc.integer({ min: 1000, max: 4_102_444_800 }), delta, body, (k, id, ts, d, b) => {
        const header = signPayload(k, id, ts, b);
        // nowS stays at the signing time, so only the signature can cause the rejection.
        expect(verifySignature({ keys: [k], msgId: id, timestampS: ts + d, body: b, header, nowS: ts })).toBe(false);
      }),
    );
  });

  it("a timestamp outside the tolerance makes verify false, one inside makes it true", () => {
    const tolerance = fc.integer({ min: 0, max: 3600 });
    const excess = fc.integer({ min: 1, max: 10 ** 9 });
    fc.assert(
      fc.property(key, msgId, timestamp, body, tolerance, excess, fc.boolean(), (k, id, ts, b, tol, extra, ahead) => {
        const header = signPayload(k, id, ts, b);
        const opts = { keys: [k], msgId: id, timestampS: ts, body: b, header, toleranceS: tol };
        const distance = tol + extra;
        expect(verifySignature({ ...opts, nowS: ahead ? ts + distance : ts - distance })).toBe(false);
        expect(verifySignature({ ...opts, nowS: ahead ? ts + tol : ts - tol })).toBe(true);
      }),
    );
  });

  it("a rotation header verifies with either key alone and not with an unrelated key", () => {
    fc.assert(
      fc.property(key, key, key, msgId, timestamp, body, (k1, k2, k3, id, ts, b) => {
        fc.pre(!k3.equals(k1) && !k3.equals(k2));
        const header = signatureHeader([k1, k2], id, ts, b);
        const opts = { msgId: id, timestampS: ts, body: b, header, nowS: ts };
        expect(verifySignature({ ...opts, keys: [k1] })).toBe(true);
        expect(verifySignature({ ...opts, keys: [k2] })).toBe(true);
        expect(verifySignature({ ...opts, keys: [k3] })).toBe(false);
      }),
    );
  });
});
