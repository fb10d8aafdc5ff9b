/**
 * The API side of endpoint authentication beyond the signature (domain/endpoint-auth.ts): the `oauth2` and `mtls`
 * fields of an endpoint as they are sent, checked, sealed and shown.
 *
 * - `oauth2.token_url` passes the same egress policy as the endpoint URL (422 ENDPOINT_URL_FORBIDDEN or
 *   ENDPOINT_URL_UNRESOLVABLE, `details[0].pointer` /oauth2/token_url), and again before every token request.
 * - `mtls` PEM is parsed when saved: the certificate chain, the key (unencrypted, matching the certificate) and the
 *   CA bundle; anything unusable is a 422 INVALID_CLIENT_CERTIFICATE naming the field.
 * - `oauth2.client_secret` and `mtls.key` are sealed before they reach the store and read back as "[redacted]". A
 *   PATCH that sends "[redacted]" back keeps the stored value, as for custom headers, so a client can send what it
 *   read with one field changed.
 */
import { createPrivateKey, type KeyObject, X509Certificate } from "node:crypto";
import { Type } from "typebox";
import {
  type EndpointMtls,
  type EndpointOAuth2,
  MTLS_KEY_FIELD,
  OAUTH2_SECRET_FIELD,
  type OAuth2ClientAuth,
} from "../../domain/endpoint-auth.ts";
import { AppError } from "../../errors/app-error.ts";
import { TEXT_PATTERN } from "../../http/common-schemas.ts";
import { checkEndpointUrl, type EgressPolicy } from "../../outbound/egress-policy.ts";
import { DnsLookupError, EgressBlockedError } from "../../outbound/target-check.ts";
import type { SecretBox } from "../../secrets/secret-box.ts";

/** What reads show in place of the client secret and the client key. */
export const CREDENTIAL_MASK = "[redacted]";

/** RFC 6749 3.3: a scope token is printable ASCII without space, `"` or `\`. */
const SCOPE_PATTERN = "^[\\x21\\x23-\\x5b\\x5d-\\x7e]{1,256}$";
const PEM_MAX = 64 * 1024;

export const OAuth2Body = Type.Union(
  [
    Type.Object(
      {
        token_url: Type.String({ minLength: 1, maxLength: 2048, pattern: TEXT_PATTERN }),
        client_id: Type.String({ minLength: 1, maxLength: 512, pattern: TEXT_PATTERN }),
        client_secret: Type.String({
          minLength: 1,
          maxLength: 2048,
          pattern: TEXT_PATTERN,
          description: 'Stored encrypted; reads show "[redacted]", and a PATCH sending "[redacted]" keeps the stored one.',
        }),
        scopes: Type.Optional(Type.Array(Type.String({ pattern: SCOPE_PATTERN }), { maxItems: 50 })),
        audience: Type.Optional(Type.Union([Type.String({ minLength: 1, maxLength: 1024, pattern: TEXT_PATTERN }), Type.Null()])),
        client_auth: Type.Optional(
          Type.Union([Type.Literal("basic"), Type.Literal("body")], {
            description: "basic (default): HTTP Basic with client_id and client_secret; body: both as form fields.",
          }),
        ),
      },
      { additionalProperties: false },
    ),
    Type.Null(),
  ],
  {
    description:
      "OAuth2 client credentials (RFC 6749 4.4): hookd fetches an access token from token_url, caches it, refreshes it before it expires and once on a 401, and sends it as `Authorization: Bearer`. null: none.",
  },
);

export const MtlsBody = Type.Union(
  [
    Type.Object(
      {
        cert: Type.Optional(
          Type.Union([Type.String({ maxLength: PEM_MAX, pattern: TEXT_PATTERN, description: "The client certificate (PEM), intermediates after it." }), Type.Null()]),
        ),
        key: Type.Optional(
          Type.Union([
            Type.String({
              maxLength: PEM_MAX,
              pattern: TEXT_PATTERN,
              description: 'The certificate\'s private key (PEM, unencrypted); stored encrypted, reads show "[redacted]".',
            }),
            Type.Null(),
          ]),
        ),
        ca: Type.Optional(
          Type.Union([
            Type.String({ maxLength: 4 * PEM_MAX, pattern: TEXT_PATTERN, description: "PEM CA certificates that alone are trusted for the receiver's certificate." }),
            Type.Null(),
          ]),
        ),
      },
      { additionalProperties: false },
    ),
    Type.Null(),
  ],
  {
    description:
      "TLS client authentication: a certificate and key presented when the receiver asks (https only), and/or a CA bundle pinning the receiver's server certificate. null: none.",
  },
);

export interface OAuth2Input {
  token_url: string;
  client_id: string;
  client_secret: string;
  scopes?: string[] | undefined;
  audience?: string | null | undefined;
  client_auth?: OAuth2ClientAuth | undefined;
}

export interface MtlsInput {
  cert?: string | null | undefined;
  key?: string | null | undefined;
  ca?: string | null | undefined;
}

export function oauth2ToApi(o: EndpointOAuth2 | null) {
  if (o === null) return null;
  return {
    token_url: o.tokenUrl,
    client_id: o.clientId,
    client_secret: CREDENTIAL_MASK,
    scopes: o.scopes,
    audience: o.audience,
    client_auth: o.clientAuth,
  };
}

export function mtlsToApi(m: EndpointMtls | null) {
  if (m === null) return null;
  return { cert: m.cert, key: m.sealedKey === null ? null : CREDENTIAL_MASK, ca: m.ca };
}

/** How the endpoint's fields are checked and sealed; `current` is the stored endpoint for a PATCH. */
export interface AuthContext {
  endpointId: string;
  box: SecretBox;
  policy: EgressPolicy;
}

/**
 * The OAuth2 settings to store, the client secret sealed (or kept, when sent masked).
 * @throws {AppError} ENDPOINT_URL_FORBIDDEN / ENDPOINT_URL_UNRESOLVABLE for the token URL, VALIDATION_FAILED for a
 *   masked secret with none stored
 */
export async function oauth2ToStored(
  input: OAuth2Input | null,
  current: EndpointOAuth2 | null,
  ctx: AuthContext,
): Promise<EndpointOAuth2 | null> {
  if (input === null) return null;
  await checkTokenUrl(input.token_url, ctx.policy);
  let sealedClientSecret: string;
  if (input.client_secret === CREDENTIAL_MASK) {
    if (current === null) throw maskedWithoutValue("/oauth2/client_secret");
    sealedClientSecret = current.sealedClientSecret;
  } else {
    sealedClientSecret = ctx.box.sealField(input.client_secret, ctx.endpointId, OAUTH2_SECRET_FIELD);
  }
  return {
    tokenUrl: input.token_url,
    clientId: input.client_id,
    sealedClientSecret,
    scopes: [...new Set(input.scopes ?? [])],
    audience: input.audience ?? null,
    clientAuth: input.client_auth ?? "basic",
  };
}

/**
 * The TLS settings to store, the key sealed (or kept, when sent masked).
 * @throws {AppError} INVALID_CLIENT_CERTIFICATE naming the field; VALIDATION_FAILED for a masked key with none stored
 */
export function mtlsToStored(input: MtlsInput | null, current: EndpointMtls | null, ctx: AuthContext): EndpointMtls | null {
  if (input === null) return null;
  const cert = input.cert ?? null;
  const ca = input.ca ?? null;
  let keyPem: string | null = null;
  let keptSealedKey: string | null = null;
  if (input.key === CREDENTIAL_MASK) {
    if (current?.sealedKey == null) throw maskedWithoutValue("/mtls/key");
    keptSealedKey = current.sealedKey;
    keyPem = ctx.box.openField(current.sealedKey, ctx.endpointId, MTLS_KEY_FIELD);
  } else if (input.key != null) {
    keyPem = input.key;
  }
  if (cert === null && keyPem === null && ca === null) {
    throw invalid("/mtls", "give a client certificate with its key, a CA bundle, or both (null removes mtls)");
  }
  if ((cert === null) !== (keyPem === null)) {
    throw invalid(cert === null ? "/mtls/cert" : "/mtls/key", "a client certificate and its key go together");
  }
  if (cert !== null && keyPem !== null) {
    const leaf = parseCertificates(cert, "/mtls/cert")[0]!;
    const key = parseKey(keyPem);
    if (!leaf.checkPrivateKey(key)) throw invalid("/mtls/key", "the key does not belong to the certificate");
  }
  if (ca !== null) parseCertificates(ca, "/mtls/ca");
  return {
    cert,
    sealedKey: keptSealedKey ?? (keyPem === null ? null : ctx.box.sealField(keyPem, ctx.endpointId, MTLS_KEY_FIELD)),
    ca,
  };
}

/**
 * TLS settings mean nothing on a plain http endpoint, and an endpoint that sends its client certificate nowhere
 * would look protected while it is not: refused, whether the settings or the URL change.
 * @throws {AppError} INVALID_CLIENT_CERTIFICATE
 */
export function requireHttpsForMtls(url: string, mtls: EndpointMtls | null): void {
  if (mtls !== null && !url.toLowerCase().startsWith("https:")) {
    throw invalid("/mtls", "the endpoint URL is not https; TLS settings apply only to https endpoints");
  }
}

const CERT_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;

/** Every certificate in a PEM text; anything but certificates (and whitespace) around them is refused. */
function parseCertificates(pem: string, pointer: string): X509Certificate[] {
  const blocks = pem.match(CERT_BLOCK) ?? [];
  if (blocks.length === 0) throw invalid(pointer, "no PEM certificate (-----BEGIN CERTIFICATE-----) found");
  if (pem.replace(CERT_BLOCK, "").trim() !== "") throw invalid(pointer, "holds something other than PEM certificates");
  return blocks.map((block, i) => {
    try {
      return new X509Certificate(block);
    } catch {
      throw invalid(pointer, `certificate ${i + 1} does not parse as X.509`);
    }
  });
}

function parseKey(pem: string): KeyObject {
  if (!/-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/.test(pem)) throw invalid("/mtls/key", "no PEM private key found");
  if (/ENCRYPTED/.test(pem)) throw invalid("/mtls/key", "the key is encrypted; give it without a passphrase (hookd stores it encrypted)");
  try {
    return createPrivateKey({ key: pem, format: "pem" });
  } catch {
    throw invalid("/mtls/key", "the private key does not parse");
  }
}

function invalid(pointer: string, message: string): AppError {
  const field = pointer.slice(1).replace(/\//g, ".");
  return new AppError("INVALID_CLIENT_CERTIFICATE", `${field}: ${message}`, [{ pointer, message }]);
}

function maskedWithoutValue(pointer: string): AppError {
  const field = pointer.slice(1).replace(/\//g, ".");
  return new AppError("VALIDATION_FAILED", `${field} has the masked value ${CREDENTIAL_MASK} but no stored value to keep`, [
    { path: `body${pointer}`, message: "send the real value" },
  ]);
}

async function checkTokenUrl(url: string, policy: EgressPolicy): Promise<void> {
  const details = (message: string) => [{ pointer: "/oauth2/token_url", message }];
  try {
    new URL(url);
  } catch {
    throw new AppError("INVALID_ENDPOINT_URL", "oauth2.token_url must be an absolute http or https URL", details("not a URL"));
  }
  try {
    await checkEndpointUrl(url, policy);
  } catch (err) {
    if (err instanceof EgressBlockedError) {
      throw new AppError(
        "ENDPOINT_URL_FORBIDDEN",
        `oauth2.token_url refused (${err.reason}): ${err.message}; the token URL is held to the same egress rules as endpoint URLs`,
        details(err.message),
      );
    }
    if (err instanceof DnsLookupError) {
      throw new AppError("ENDPOINT_URL_UNRESOLVABLE", `oauth2.token_url: host ${err.host} does not resolve`, details("does not resolve"));
    }
    throw err;
  }
}
