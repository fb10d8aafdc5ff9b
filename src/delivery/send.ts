/**
 * Makes one HTTP attempt and never throws: every failure becomes a SendResult with an error class. One deadline
 * (the endpoint's timeout) covers connect, headers and body, and at most 64 KB of the response is read, so neither
 * a hanging nor a firehose receiver can hold a worker slot longer than the timeout. The response body is kept as
 * text for people to read and is never parsed or acted on.
 *
 * Egress: before the request the URL's form is checked again (settings such as HOOKD_REQUIRE_HTTPS may have changed
 * since the endpoint was saved); the addresses are judged by the outbound agent at connect. A redirect (301, 302,
 * 303, 307, 308 with a Location) is followed at most once, within the same deadline: the new target goes through
 * every check again, and receives the same body and the same signed headers (always as a POST, whatever the status);
 * an endpoint's custom headers follow only within the same origin.
 */
import { type Dispatcher, request } from "undici";
import type { ErrorClass } from "../domain/types.ts";
import type { EgressPolicy } from "../outbound/egress-policy.ts";
import { assertIpLiteralAllowed, EgressBlockedError } from "../outbound/target-check.ts";
import { headersForRedirect } from "../outbound/redirect-headers.ts";
import { checkUrlForm } from "../outbound/url-form.ts";
import type { RedirectFollowed, SendResult } from "./classify.ts";
import type { PreparedRequest } from "./prepare.ts";

export const MAX_RESPONSE_READ_BYTES = 64 * 1024;
export const STORED_RESPONSE_BYTES = 4 * 1024;
/** Redirects followed per attempt (seed 004: "3xx: follow once"). */
export const MAX_REDIRECTS = 1;
const REDIRECT_STATUSES: ReadonlySet<number> = new Set([301, 302, 303, 307, 308]);
/** A Location quoted in an error is cut here: the attempt log is for people, not for whole hostile headers. */
const MAX_QUOTED_LOCATION = 512;

export interface SendOutcome {
  result: SendResult;
  responseBody: string | null;
  /** The response headers worth keeping for the delivery log (see keptHeaders); null when no response arrived. */
  responseHeaders?: Record<string, string> | null;
  durationMs: number;
}

/** At most this many response headers, each value cut to this length, are kept for the log. */
export const STORED_RESPONSE_HEADERS = 50;
export const STORED_HEADER_VALUE_CHARS = 1024;

/**
 * The response headers as the log keeps them: lower-case names, repeated headers joined with ", " (set-cookie too:
 * the log is for reading, not replaying), capped in count and length so a hostile receiver cannot bloat the log.
 */
export function keptHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  let n = 0;
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    if (n++ >= STORED_RESPONSE_HEADERS) break;
    const text = Array.isArray(value) ? value.join(", ") : value;
    out[name.toLowerCase()] = text.slice(0, STORED_HEADER_VALUE_CHARS);
  }
  return out;
}

export interface SendOptions {
  dispatcher: Dispatcher;
  policy: EgressPolicy;
  timeoutMs: number;
  /**
   * The attempt's own controller: the deadline aborts it with a TimeoutError, and the worker aborts it (with any
   * other reason) at shutdown. One plain controller and one timer per request: AbortSignal.timeout plus
   * AbortSignal.any cost several percent of a worker's CPU in profiles.
   */
  controller?: AbortController;
}

export async function sendRequest(req: PreparedRequest, opts: SendOptions): Promise<SendOutcome> {
  const started = performance.now();
  const controller = opts.controller ?? new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort(new DOMException("attempt timed out", "TimeoutError"));
  }, opts.timeoutMs);
  const signal = controller.signal;
  let redirect: RedirectFollowed | undefined;
  try {
    let url = checkTarget(req.url, opts.policy);
    let headers = req.headers;
    for (let followed = 0; ; followed++) {
      const res = await request(url, {
        method: "POST",
        headers,
        body: req.body,
        dispatcher: opts.dispatcher,
        signal,
        headersTimeout: opts.timeoutMs,
        bodyTimeout: opts.timeoutMs,
      });
      const location = firstHeader(res.headers.location);
      if (REDIRECT_STATUSES.has(res.statusCode) && location !== undefined && followed < MAX_REDIRECTS) {
        // The redirect's own body is of no interest; read a little so the connection can be reused.
        await readCapped(res.body, MAX_RESPONSE_READ_BYTES);
        const from = url;
        try {
          url = checkTarget(location, opts.policy, url);
        } catch (err) {
          if (!(err instanceof EgressBlockedError)) throw err;
          throw new EgressBlockedError(err.reason, {
            message: `redirect (${res.statusCode}) to ${quote(location)} refused: ${err.message}`,
          });
        }
        // Credentials stay with the origin they were configured for (outbound/redirect-headers.ts).
        headers = headersForRedirect(headers, from, url);
        redirect = { statusCode: res.statusCode, location: quote(url.href) };
        continue;
      }
      const body = await readCapped(res.body, MAX_RESPONSE_READ_BYTES);
      const result: SendResult = { kind: "response", statusCode: res.statusCode, retryAfter: firstHeader(res.headers["retry-after"]) };
      if (redirect) result.redirect = redirect;
      if (REDIRECT_STATUSES.has(res.statusCode) && location !== undefined) result.location = quote(location);
      return {
        result,
        responseBody: body.length > 0 ? body.subarray(0, STORED_RESPONSE_BYTES).toString("utf8") : null,
        responseHeaders: keptHeaders(res.headers),
        durationMs: Math.round(performance.now() - started),
      };
    }
  } catch (err) {
    const errorClass = timedOut ? "timeout" : signal.aborted ? "aborted" : errorClassOf(err);
    const result: SendResult = { kind: "error", errorClass, message: describe(err, errorClass, opts.timeoutMs) };
    if (redirect) result.redirect = redirect;
    return { result, responseBody: null, responseHeaders: null, durationMs: Math.round(performance.now() - started) };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The checks that need no network: the URL's form, and an IP-literal host (the agent judges it again at connect,
 * but a dispatcher that is not the guarded agent must not get the chance).
 */
function checkTarget(raw: string, policy: EgressPolicy, base?: URL): URL {
  const url = checkUrlForm(raw, policy, base);
  assertIpLiteralAllowed(url.hostname, policy.network);
  return url;
}

function firstHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function quote(text: string): string {
  return text.length > MAX_QUOTED_LOCATION ? `${text.slice(0, MAX_QUOTED_LOCATION)}...` : text;
}

async function readCapped(body: Dispatcher.ResponseData["body"], max: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    const buf = chunk as Buffer;
    chunks.push(buf);
    size += buf.length;
    if (size >= max) {
      // Enough to show the operator; the rest is not worth holding a slot for.
      body.destroy();
      break;
    }
  }
  return Buffer.concat(chunks, Math.min(size, max));
}

function codesOf(err: unknown): string[] {
  const codes: string[] = [];
  let e: unknown = err;
  for (let depth = 0; e && depth < 5; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string") codes.push(code);
    e = (e as { cause?: unknown }).cause;
  }
  return codes;
}

export function errorClassOf(err: unknown): ErrorClass {
  for (const code of codesOf(err)) {
    if (code === "EGRESS_BLOCKED") return "ssrf_blocked";
    if (code === "ENOTFOUND" || code === "EAI_AGAIN" || code === "DNS_LOOKUP_FAILED") return "dns";
    if (/TIMEOUT|ETIMEDOUT/.test(code)) return "timeout";
    if (/^(ERR_TLS|ERR_SSL|CERT_|DEPTH_ZERO|SELF_SIGNED|UNABLE_TO_VERIFY)/.test(code)) return "tls";
    if (/^(ECONNREFUSED|ECONNRESET|EPIPE|EHOSTUNREACH|ENETUNREACH|UND_ERR_SOCKET|UND_ERR_CLOSED)/.test(code)) {
      return "connect";
    }
  }
  if (err instanceof TypeError && /url/i.test(err.message)) return "connect";
  return "response";
}

function describe(err: unknown, errorClass: ErrorClass, timeoutMs: number): string {
  if (errorClass === "timeout") return `timed out after ${timeoutMs} ms`;
  const codes = codesOf(err);
  const message = err instanceof Error ? err.message : String(err);
  return codes.length > 0 ? `${codes[0]}: ${message}` : message;
}
