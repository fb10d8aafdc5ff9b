/**
 * Encryption at rest for endpoint signing secrets, custom header values and other endpoint credentials: AES-256-GCM under a master key, one
 * random 96-bit nonce per encryption. The endpoint id (and for a header, its name) is the associated data, so a
 * ciphertext copied into another endpoint's row, or under another header's name, does not decrypt there. A sealed
 * value reads
 *
 *   hkenc1:<key id>:<base64 of nonce (12 bytes) | ciphertext | tag (16 bytes)>
 *
 * The key id (see master-key.ts) says which master key sealed it, so a keyring of the current key plus older ones
 * can open values sealed before a key rotation while sealing only with the current key.
 *
 * Values without the prefix are secrets stored in the clear by hookd before encryption existed. open() returns them
 * as they are, so a row written by an older process during a rolling upgrade still delivers; start-up re-seals every
 * such row (see reseal.ts), so they do not stay in the clear.
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from "node:crypto";
import type { MasterKey } from "./master-key.ts";

const PREFIX = "hkenc1:";
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

/** A sealed value that cannot be opened: unknown key, wrong row, or tampered. Never contains secret material. */
export class SecretUnsealError extends Error {
  constructor(
    message: string,
    /** The key id the value names, when it names one hookd does not have. */
    readonly missingKeyId: string | null = null,
  ) {
    super(message);
    this.name = "SecretUnsealError";
  }
}

function associatedData(endpointId: string): Buffer {
  return Buffer.from(`hookd endpoint secret\0${endpointId}`, "utf8");
}

/** A custom header value is bound to its endpoint and its (lower-cased) name: it cannot be moved to another. */
function headerAssociatedData(endpointId: string, name: string): Buffer {
  return Buffer.from(`hookd endpoint header\0${endpointId}\0${name.toLowerCase()}`, "utf8");
}

/**
 * Another credential of an endpoint (the OAuth2 client secret, the TLS client key: domain/endpoint-auth.ts), bound to
 * its endpoint and field name so it cannot be moved to another endpoint or field.
 */
function fieldAssociatedData(endpointId: string, field: string): Buffer {
  return Buffer.from(`hookd endpoint field\0${endpointId}\0${field}`, "utf8");
}

export class SecretBox {
  private readonly byId = new Map<string, MasterKey>();

  /**
   * @param current seals every new value
   * @param older open values sealed before a rotation; never used to seal
   */
  constructor(
    readonly current: MasterKey,
    older: readonly MasterKey[] = [],
  ) {
    for (const key of [current, ...older]) this.byId.set(key.id, key);
  }

  /** Key ids this box can open, the current one first. */
  get keyIds(): string[] {
    return [...this.byId.keys()];
  }

  /** @example box.seal("whsec_...", "ep_01J...") // "hkenc1:3f0c...:..." */
  seal(plaintext: string, endpointId: string): string {
    return this.sealWith(plaintext, associatedData(endpointId));
  }

  /**
   * The plaintext of a stored value (a legacy clear value is returned as is).
   * @throws {SecretUnsealError} when the key is unknown or the value was altered or belongs to another endpoint
   */
  open(stored: string, endpointId: string): string {
    return this.openWith(stored, associatedData(endpointId), `endpoint ${endpointId}'s secret`);
  }

  /** Seals a custom header value of an endpoint (values are credentials as often as not). */
  sealHeader(value: string, endpointId: string, name: string): string {
    return this.sealWith(value, headerAssociatedData(endpointId, name));
  }

  /**
   * A custom header value as stored (a value from before header encryption is returned as is).
   * @throws {SecretUnsealError} as open()
   */
  openHeader(stored: string, endpointId: string, name: string): string {
    return this.openWith(stored, headerAssociatedData(endpointId, name), `endpoint ${endpointId}'s header ${name}`);
  }

  /** Seals an endpoint credential other than its signing secret or a header value (see fieldAssociatedData). */
  sealField(value: string, endpointId: string, field: string): string {
    return this.sealWith(value, fieldAssociatedData(endpointId, field));
  }

  /** @throws {SecretUnsealError} as open() */
  openField(stored: string, endpointId: string, field: string): string {
    return this.openWith(stored, fieldAssociatedData(endpointId, field), `endpoint ${endpointId}'s ${field}`);
  }

  private sealWith(plaintext: string, aad: Buffer): string {
    const nonce = randomBytes(NONCE_BYTES);
    const cipher = createCipheriv("aes-256-gcm", this.current.bytes, nonce, { authTagLength: TAG_BYTES });
    cipher.setAAD(aad);
    const body = Buffer.concat([nonce, cipher.update(plaintext, "utf8"), cipher.final(), cipher.getAuthTag()]);
    return `${PREFIX}${this.current.id}:${body.toString("base64")}`;
  }

  private openWith(stored: string, aad: Buffer, what: string): string {
    if (!isSealed(stored)) return stored;
    const keyId = sealedKeyId(stored);
    if (keyId === null) throw new SecretUnsealError(`${what} is malformed`);
    const key = this.byId.get(keyId);
    if (!key) {
      throw new SecretUnsealError(`${what} is encrypted with master key ${keyId}, which is not configured`, keyId);
    }
    const body = Buffer.from(stored.slice(PREFIX.length + keyId.length + 1), "base64");
    if (body.length < NONCE_BYTES + TAG_BYTES) throw new SecretUnsealError(`${what} is malformed`);
    try {
      const decipher = createDecipheriv("aes-256-gcm", key.bytes, body.subarray(0, NONCE_BYTES), {
        authTagLength: TAG_BYTES,
      });
      decipher.setAAD(aad);
      decipher.setAuthTag(body.subarray(body.length - TAG_BYTES));
      return Buffer.concat([decipher.update(body.subarray(NONCE_BYTES, body.length - TAG_BYTES)), decipher.final()]).toString(
        "utf8",
      );
    } catch {
      throw new SecretUnsealError(`${what} does not decrypt (altered, or moved from another row)`);
    }
  }

  /**
   * A key for another purpose derived from a master key (HKDF-SHA256 with the purpose as info), so that a feature
   * needing its own secret (the payload URLs of thin deliveries) has one without a new setting, and a leaked derived
   * key reveals nothing about the master key or any other purpose's key. Without `keyId`, the current master key.
   * @returns null when `keyId` names a key this box does not have
   */
  deriveKey(purpose: string, keyId: string = this.current.id): { keyId: string; key: Buffer } | null {
    const master = this.byId.get(keyId);
    if (!master) return null;
    return { keyId, key: Buffer.from(hkdfSync("sha256", master.bytes, Buffer.alloc(0), `hookd ${purpose}`, 32)) };
  }

  /** True when the value is sealed under the current key, i.e. re-sealing would change nothing but the nonce. */
  isCurrent(stored: string): boolean {
    return sealedKeyId(stored) === this.current.id;
  }
}

export function isSealed(stored: string): boolean {
  return stored.startsWith(PREFIX);
}

/** The master key id a sealed value names, or null for a legacy clear value. */
export function sealedKeyId(stored: string): string | null {
  if (!isSealed(stored)) return null;
  const end = stored.indexOf(":", PREFIX.length);
  return end < 0 ? null : stored.slice(PREFIX.length, end);
}
