import { describe, expect, it } from "vitest";
import { generateMasterKey, MasterKeyFormatError, parseMasterKey } from "./master-key.ts";
import { isSealed, SecretBox, SecretUnsealError, sealedKeyId } from "./secret-box.ts";

const SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

describe("SecretBox", () => {
  it("seals to a value that names the key, hides the secret, and opens again", () => {
    const box = new SecretBox(generateMasterKey());
    const sealed = box.seal(SECRET, "ep_1");
    expect(isSealed(sealed)).toBe(true);
    expect(sealedKeyId(sealed)).toBe(box.current.id);
    expect(sealed).not.toContain(SECRET);
    expect(sealed).not.toContain(SECRET.slice(6));
    expect(box.open(sealed, "ep_1")).toBe(SECRET);
    expect(box.isCurrent(sealed)).toBe(true);
  });

  it("uses a fresh nonce for every encryption", () => {
    const box = new SecretBox(generateMasterKey());
    const values = new Set(Array.from({ length: 50 }, () => box.seal(SECRET, "ep_1")));
    expect(values.size).toBe(50);
  });

  it("refuses a ciphertext moved to another endpoint's row", () => {
    const box = new SecretBox(generateMasterKey());
    const sealed = box.seal(SECRET, "ep_1");
    expect(() => box.open(sealed, "ep_2")).toThrow(SecretUnsealError);
  });

  it("refuses any altered byte", () => {
    const box = new SecretBox(generateMasterKey());
    const sealed = box.seal(SECRET, "ep_1");
    const prefix = sealed.slice(0, sealed.lastIndexOf(":") + 1);
    const body = Buffer.from(sealed.slice(prefix.length), "base64");
    for (const i of [0, 11, 12, body.length - 17, body.length - 1]) {
      const altered = Buffer.from(body);
      altered[i] = altered[i]! ^ 0x01;
      expect(() => box.open(prefix + altered.toString("base64"), "ep_1")).toThrow(SecretUnsealError);
    }
    expect(() => box.open(`${prefix}AAAA`, "ep_1")).toThrow(/malformed/);
  });

  it("opens values of older keys but seals only with the current one", () => {
    const old = generateMasterKey();
    const sealedOld = new SecretBox(old).seal(SECRET, "ep_1");
    const box = new SecretBox(generateMasterKey(), [old]);
    expect(box.open(sealedOld, "ep_1")).toBe(SECRET);
    expect(box.isCurrent(sealedOld)).toBe(false);
    expect(sealedKeyId(box.seal(SECRET, "ep_1"))).toBe(box.current.id);
    expect(box.keyIds).toEqual([box.current.id, old.id]);
  });

  it("names the missing key, and nothing secret, when it lacks the key", () => {
    const other = generateMasterKey();
    const sealed = new SecretBox(other).seal(SECRET, "ep_1");
    const box = new SecretBox(generateMasterKey());
    try {
      box.open(sealed, "ep_1");
      throw new Error("expected open to fail");
    } catch (err) {
      expect(err).toBeInstanceOf(SecretUnsealError);
      expect((err as SecretUnsealError).missingKeyId).toBe(other.id);
      expect((err as Error).message).toContain(other.id);
      expect((err as Error).message).not.toContain(other.bytes.toString("base64"));
    }
  });

  it("passes legacy values stored in the clear through unchanged", () => {
    const box = new SecretBox(generateMasterKey());
    expect(isSealed(SECRET)).toBe(false);
    expect(box.open(SECRET, "ep_1")).toBe(SECRET);
    expect(box.isCurrent(SECRET)).toBe(false);
    expect(sealedKeyId(SECRET)).toBeNull();
  });
});

describe("parseMasterKey", () => {
  it("accepts base64 of 32 bytes and derives a stable id that is not the key", () => {
    const text = Buffer.alloc(32, 7).toString("base64");
    const a = parseMasterKey(text);
    expect(a.bytes).toEqual(Buffer.alloc(32, 7));
    expect(a.id).toMatch(/^[0-9a-f]{16}$/);
    expect(parseMasterKey(`${text}\n`).id).toBe(a.id);
    expect(parseMasterKey(Buffer.alloc(32, 8).toString("base64")).id).not.toBe(a.id);
  });

  it.each([
    ["too short", Buffer.alloc(16).toString("base64")],
    ["too long", Buffer.alloc(33).toString("base64")],
    ["hex", Buffer.alloc(32).toString("hex")],
    ["url-safe alphabet", Buffer.alloc(32, 0xfb).toString("base64url")],
    ["empty", ""],
  ])("refuses %s", (_name, text) => {
    expect(() => parseMasterKey(text)).toThrow(MasterKeyFormatError);
  });
});
