/**
 * One OAuth2 token request: the client credentials grant of RFC 6749 section 4.4, a form-encoded POST to the
 * endpoint's token URL with the client authenticated by HTTP Basic (section 2.3.1, the default) or in the body.
 *
 * The token URL is a destination like any endpoint URL: its form is checked here before the request (the settings
 * may have changed since it was saved), and the request goes through the outbound agent, whose connector judges
 * every address it connects to (outbound/agent.ts). Redirects are not followed: a token endpoint has no reason to
 * send one, and following it would send the client secret on. The answer is read up to 64 KB.
 *
 * Every failure is a TokenRequestError with a message for the attempt log: the status and the OAuth2 `error` (and
 * its description) when the server gave one, never the client secret, never the token.
 */
import { type Dispatcher, request } from "undici";
import type { EgressPolicy } from "../outbound/egress-policy.ts";
import { assertIpLiteralAllowed } from "../outbound/target-check.ts";
import { checkUrlForm } from "../outbound/url-form.ts";
import type { OAuth2ClientAuth } from "../domain/endpoint-auth.ts";
import { USER_AGENT } from "./prepare.ts";

/** What a token request needs, the client secret opened. */
export interface TokenRequest {
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
  scopes: readonly string[];
  audience: string | null;
  clientAuth: OAuth2ClientAuth;
}

export interface AccessToken {
  value: string;
  /** Seconds the token is valid for, as the server said (`expires_in`); null when it did not say. */
  expiresInS: number | null;
}

const MAX_TOKEN_RESPONSE_BYTES = 64 * 1024;
/** Quoted server text in an error is cut here. */
const MAX_QUOTED = 200;

/** The token endpoint could not be reached, refused the client, or answered something that is not a token. */
export class TokenRequestError extends Error {
  override name = "TokenRequestError";
  readonly code = "OAUTH2_TOKEN_FAILED";
}

export interface TokenFetchOptions {
  dispatcher: Dispatcher;
  policy: EgressPolicy;
  timeoutMs: number;
  /** Aborts the request (shutdown); an abort is rethrown as it is, not as a TokenRequestError. */
  signal?: AbortSignal;
}

/**
 * @throws {TokenRequestError} for every failure except an abort through `signal`
 * @example await fetchAccessToken({ tokenUrl, clientId: "hookd", clientSecret, scopes: [], audience: null, clientAuth: "basic" }, opts)
 */
export async function fetchAccessToken(req: TokenRequest, opts: TokenFetchOptions): Promise<AccessToken> {
  const form = new URLSearchParams({ grant_type: "client_credentials" });
  if (req.scopes.length > 0) form.set("scope", req.scopes.join(" "));
  if (req.audience !== null) form.set("audience", req.audience);
  const headers: Record<string, string> = {
    "content-type": "application/x-www-form-urlencoded",
    accept: "application/json",
    "user-agent": USER_AGENT,
  };
  if (req.clientAuth === "basic") {
    // RFC 6749 2.3.1: each part form-encoded before joining, then base64.
    const user = encodeURIComponent(req.clientId).replace(/%20/g, "+");
    const pass = encodeURIComponent(req.clientSecret).replace(/%20/g, "+");
    headers.authorization = `Basic ${Buffer.from(`${user}:${pass}`).toString("base64")}`;
  } else {
    form.set("client_id", req.clientId);
    form.set("client_secret", req.clientSecret);
  }

  const timeout = AbortSignal.timeout(opts.timeoutMs);
  const signal = opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout;
  let status: number;
  let text: string;
  try {
    const url = checkUrlForm(req.tokenUrl, opts.policy);
    assertIpLiteralAllowed(url.hostname, opts.policy.network);
    const res = await request(url, {
      method: "POST",
      headers,
      body: form.toString(),
      dispatcher: opts.dispatcher,
      signal,
      headersTimeout: opts.timeoutMs,
      bodyTimeout: opts.timeoutMs,
    });
    status = res.statusCode;
    text = (await readCapped(res.body)).toString("utf8");
  } catch (err) {
    if (opts.signal?.aborted) throw err;
    if (timeout.aborted) throw new TokenRequestError(`token request to ${req.tokenUrl} timed out after ${opts.timeoutMs} ms`);
    throw new TokenRequestError(`token request to ${req.tokenUrl} failed: ${describe(err)}`, { cause: err });
  }
  return parseTokenResponse(req.tokenUrl, status, text);
}

/** The token from a token endpoint's answer (RFC 6749 5.1), or the error it gave (5.2) as a TokenRequestError. */
export function parseTokenResponse(tokenUrl: string, status: number, text: string): AccessToken {
  let body: Record<string, unknown> | null = null;
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed !== null && typeof parsed === "object" && !Array.isArray(parsed)) body = parsed as Record<string, unknown>;
  } catch {
    // Not JSON: said below.
  }
  if (status < 200 || status >= 300) {
    const error = typeof body?.error === "string" ? `: ${quote(body.error)}` : "";
    const description = typeof body?.error_description === "string" ? ` (${quote(body.error_description)})` : "";
    throw new TokenRequestError(`token endpoint ${tokenUrl} answered HTTP ${status}${error}${description}`);
  }
  if (body === null) throw new TokenRequestError(`token endpoint ${tokenUrl} answered HTTP ${status} without a JSON object`);
  const token = body.access_token;
  if (typeof token !== "string" || token === "" || !/^[\x21-\x7e]+$/.test(token)) {
    throw new TokenRequestError(`token endpoint ${tokenUrl} answered without a usable access_token`);
  }
  const type = body.token_type;
  if (type !== undefined && (typeof type !== "string" || type.toLowerCase() !== "bearer")) {
    throw new TokenRequestError(`token endpoint ${tokenUrl} issued a token of type ${quote(JSON.stringify(type))}, not Bearer`);
  }
  const expires = typeof body.expires_in === "string" ? Number(body.expires_in) : body.expires_in;
  const expiresInS = typeof expires === "number" && Number.isFinite(expires) && expires > 0 ? expires : null;
  return { value: token, expiresInS };
}

async function readCapped(body: Dispatcher.ResponseData["body"]): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    const buf = chunk as Buffer;
    chunks.push(buf);
    size += buf.length;
    if (size > MAX_TOKEN_RESPONSE_BYTES) {
      body.destroy();
      throw new TokenRequestError(`the answer is larger than ${MAX_TOKEN_RESPONSE_BYTES} bytes`);
    }
  }
  return Buffer.concat(chunks, size);
}

function describe(err: unknown): string {
  if (err instanceof TokenRequestError) return err.message;
  const code = (err as { code?: unknown }).code;
  const message = err instanceof Error ? err.message : String(err);
  return typeof code === "string" ? `${code}: ${message}` : message;
}

function quote(text: string): string {
  // Control characters (a hostile server's line breaks or escapes) become spaces in the attempt log.
  const clean = [...text].map((c) => (c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f ? " " : c)).join("");
  return clean.length > MAX_QUOTED ? `${clean.slice(0, MAX_QUOTED)}...` : clean;
}
