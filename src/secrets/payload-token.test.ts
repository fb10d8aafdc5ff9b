import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { generateMasterKey } from "./master-key.ts";
import { PayloadTokenError, PayloadTokens } from "./payload-token.ts";
import { SecretBox } from "./secret-box.ts";

const NOW = 1_800_000_000_000;
const claims = { tenantId: "acme", endpointId: "ep_1", eventId: "evt_1", expiresAt: NOW + 900_000 };

function refusal(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof PayloadTokenError) return err.reason;
    throw err;
  }
  throw new Error("the token was accepted");
}

describe("PayloadTokens", () => {
  const key = generateMasterKey();
  const tokens = new PayloadTokens(new SecretBox(key));

  it("verifies its own tokens for the named event until they expire", () => {
    const token = tokens.mint(claims);
    expect(token).toMatch(/^v1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
    expect(tokens.verify(token, "evt_1", NOW)).toEqual(claims);
    expect(tokens.verify(token, "evt_1", claims.expiresAt - 1)).toEqual(claims);
    expect(refusal(() => tokens.verify(token, "evt_1", claims.expiresAt))).toBe("expired");
  });

  it("refuses a token for another event, from another key, or altered anywhere", () => {
    const token = tokens.mint(claims);
    expect(refusal(() => tokens.verify(token, "evt_2", NOW))).toBe("invalid");
    const foreign = new PayloadTokens(new SecretBox(generateMasterKey())).mint(claims);
    expect(refusal(() => tokens.verify(foreign, "evt_1", NOW))).toBe("invalid");
    // Claims rewritten (a later expiry, another tenant) under the old signature.
    const [v, , mac] = token.split(".");
    for (const body of [
      { t: "acme", p: "ep_1", e: "evt_1", x: (NOW + 10 * 86_400_000) / 1000, k: key.id },
      { t: "other", p: "ep_1", e: "evt_1", x: claims.expiresAt / 1000, k: key.id },
    ]) {
      const forged = `${v}.${Buffer.from(JSON.stringify(body)).toString("base64url")}.${mac}`;
      expect(refusal(() => tokens.verify(forged, "evt_1", NOW))).toBe("invalid");
    }
    for (const junk of ["", "v1", "v1..", "v2.e30.AAAA", `${token}x`, "v1.!!!.AAAA", "x".repeat(5000)]) {
      expect(refusal(() => tokens.verify(junk, "evt_1", NOW)), junk.slice(0, 20)).toBe("invalid");
    }
    fc.assert(
      fc.property(fc.integer({ min: 0, max: token.length - 1 }), fc.constantFrom(..."AQgw_-.x"), (i, c) => {
        if (token[i] === c) return;
        const changed = token.slice(0, i) + c + token.slice(i + 1);
        // Flipping base64url padding bits may decode to the same bytes; anything that still verifies must be identical claims.
        try {
          expect(tokens.verify(changed, "evt_1", NOW)).toEqual(claims);
        } catch (err) {
          expect(err).toBeInstanceOf(PayloadTokenError);
        }
      }),
    );
  });

  it("verifies tokens minted under a previous master key while that key is configured", () => {
    const old = generateMasterKey();
    const before = new PayloadTokens(new SecretBox(old)).mint(claims);
    const rotated = new PayloadTokens(new SecretBox(generateMasterKey(), [old]));
    expect(rotated.verify(before, "evt_1", NOW)).toEqual(claims);
    const forgotten = new PayloadTokens(new SecretBox(generateMasterKey()));
    expect(refusal(() => forgotten.verify(before, "evt_1", NOW))).toBe("invalid");
  });
});
