/**
 * `hookd listen`'s half of a relayed delivery: POSTs the exact headers and body hookd signed to the local URL, from
 * the developer's machine, and turns what came back into the answer hookd records as the delivery's outcome. Never
 * throws: a local server that is down or too slow becomes an answer with an `error`, which hookd logs and retries.
 */
import { type Dispatcher, request } from "undici";

/** The local answer's body sent back to hookd at most (the delivery log keeps the first 4 KB of it). */
const MAX_ANSWER_BODY_BYTES = 64 * 1024;
/** How long the local server may take: longer than any endpoint timeout, since hookd times the attempt itself. */
const LOCAL_TIMEOUT_MS = 30_000;

export interface RelayedDelivery {
  id: string;
  headers: Record<string, string>;
  body: string;
}

export interface LocalAnswer {
  request_id: string;
  status?: number;
  headers?: Record<string, string>;
  body?: string;
  duration_ms: number;
  error?: string;
}

export async function forwardToLocal(localUrl: string, delivery: RelayedDelivery, signal: AbortSignal, dispatcher: Dispatcher): Promise<LocalAnswer> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  try {
    const res = await request(localUrl, {
      method: "POST",
      dispatcher,
      headers: delivery.headers,
      body: delivery.body,
      signal: AbortSignal.any([signal, AbortSignal.timeout(LOCAL_TIMEOUT_MS)]),
      headersTimeout: LOCAL_TIMEOUT_MS,
      bodyTimeout: LOCAL_TIMEOUT_MS,
    });
    const body = await readCapped(res.body);
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(res.headers)) {
      if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(", ") : value;
    }
    return { request_id: delivery.id, status: res.statusCode, headers, body, duration_ms: elapsed() };
  } catch (err) {
    const code = (err as { code?: string; cause?: { code?: string } }).code ?? (err as { cause?: { code?: string } }).cause?.code;
    const message = `${code ? `${code}: ` : ""}${(err as Error).message}`.slice(0, 1000);
    return { request_id: delivery.id, error: `POST ${localUrl}: ${message}`, duration_ms: elapsed() };
  }
}

async function readCapped(body: AsyncIterable<Buffer> & { destroy(): unknown }): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    chunks.push(chunk);
    size += chunk.length;
    if (size >= MAX_ANSWER_BODY_BYTES) {
      body.destroy();
      break;
    }
  }
  // Cut on a character boundary, so the answer is valid text of at most the cap.
  return Buffer.concat(chunks).subarray(0, MAX_ANSWER_BODY_BYTES).toString("utf8").slice(0, MAX_ANSWER_BODY_BYTES / 2);
}
