/**
 * The webhook sink, run as its own child process (see sink-client.ts) so it never shares an event loop with the load
 * generator. It answers every webhook POST with 204 and records, per `webhook-id`, the first receive time and how
 * many times the id arrived. Every 100th request's Standard Webhooks signature is checked against the secret the
 * bench configured, to prove the requests are really signed without spending the sink's core on every HMAC.
 *
 * Control routes (same server, under /_bench/):
 *   POST /_bench/reset   body {"secret"?: "whsec_..."}: forget everything recorded, set the secret to check
 *   GET  /_bench/stats   {requests, unique, duplicates, verified, bad_signatures, first_ms, last_ms}
 *   GET  /_bench/times   {"ids": [...], "times": [...], "dups": {id: extra copies}}; times are epoch ms (fractional)
 * The server's address is sent to the parent over IPC once it listens.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { parseSecret } from "../src/signing/secret.ts";
import { verifySignature } from "../src/signing/standard-webhooks.ts";

const VERIFY_EVERY = 100;

/** Wall-clock milliseconds with sub-millisecond resolution; the same clock hookd's created_at uses. */
const nowMs = () => performance.timeOrigin + performance.now();

let firstSeen = new Map<string, number>();
let extra = new Map<string, number>();
let requests = 0;
let verified = 0;
let badSignatures = 0;
let firstMs = 0;
let lastMs = 0;
let keys: Buffer[] = [];

function reset(secret: string | undefined): void {
  firstSeen = new Map();
  extra = new Map();
  requests = 0;
  verified = 0;
  badSignatures = 0;
  firstMs = 0;
  lastMs = 0;
  keys = secret ? [parseSecret(secret)] : [];
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

async function control(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
  if (path === "/_bench/reset" && req.method === "POST") {
    const raw = (await readBody(req)).toString("utf8");
    const body = (raw ? JSON.parse(raw) : {}) as { secret?: string };
    reset(body.secret);
    return json(res, 200, { ok: true });
  }
  if (path === "/_bench/stats") {
    let duplicates = 0;
    for (const n of extra.values()) duplicates += n;
    return json(res, 200, {
      requests,
      unique: firstSeen.size,
      duplicates,
      verified,
      bad_signatures: badSignatures,
      first_ms: firstMs,
      last_ms: lastMs,
    });
  }
  if (path === "/_bench/times") {
    return json(res, 200, { ids: [...firstSeen.keys()], times: [...firstSeen.values()], dups: Object.fromEntries(extra) });
  }
  json(res, 404, { error: "unknown control route" });
}

function receive(req: IncomingMessage, res: ServerResponse): void {
  const at = nowMs();
  requests++;
  if (firstMs === 0) firstMs = at;
  lastMs = at;
  const id = req.headers["webhook-id"];
  if (typeof id === "string") {
    if (firstSeen.has(id)) extra.set(id, (extra.get(id) ?? 0) + 1);
    else firstSeen.set(id, at);
  }
  if (keys.length > 0 && requests % VERIFY_EVERY === 0) {
    readBody(req).then((body) => {
      verified++;
      const ok = verifySignature({
        keys,
        msgId: String(id),
        timestampS: Number(req.headers["webhook-timestamp"]),
        body,
        header: String(req.headers["webhook-signature"] ?? ""),
        nowS: Math.floor(Date.now() / 1000),
      });
      if (!ok) badSignatures++;
      res.writeHead(204).end();
    }, () => res.destroy());
    return;
  }
  req.resume();
  req.on("end", () => res.writeHead(204).end());
}

const server = createServer((req, res) => {
  const path = req.url ?? "/";
  if (path.startsWith("/_bench/")) {
    control(req, res, path).catch((err: unknown) => json(res, 500, { error: String(err) }));
    return;
  }
  receive(req, res);
});
server.keepAliveTimeout = 60_000;
server.headersTimeout = 65_000;
server.maxRequestsPerSocket = 0;

server.listen(0, "127.0.0.1", () => {
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("sink: no TCP address");
  process.send?.({ port: address.port });
});

// The parent owns this process: when the IPC channel closes, the bench is over.
process.on("disconnect", () => process.exit(0));
