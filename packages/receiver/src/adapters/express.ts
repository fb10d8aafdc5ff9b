/**
 * Express (and Connect-style) middleware that verifies the delivery and then passes it on with `req.webhook` set
 * and `req.body` holding the parsed payload. It finds the raw body whichever way the app is set up: it reads the
 * stream itself when no body parser ran, takes a Buffer from `express.raw()`, or `req.rawBody` saved by a body
 * parser's `verify` hook. If `express.json()` already consumed the stream and kept nothing, it answers 500 with
 * how to fix it, instead of failing every signature.
 *
 * Typed with Node's own request and response types, so it needs no Express types to compile.
 *
 * @example
 * app.post("/webhooks", webhookMiddleware({ secret: process.env.WEBHOOK_SECRET }), (req, res) => {
 *   console.log(req.webhook.id, req.body);
 *   res.sendStatus(204);
 * });
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { RawBodyError } from "../errors.js";
import { createVerifier, type RawBody, type VerifiedWebhook } from "../verify.js";
import { type Answer, DUPLICATE, handled, IN_PROGRESS, refusal, type WebhookRouteOptions } from "./answers.js";

declare global {
  // Adds `req.webhook` to Express's Request type when @types/express is installed; harmless otherwise.
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      webhook?: VerifiedWebhook;
    }
  }
}

export interface ExpressWebhookOptions extends WebhookRouteOptions {
  /** Largest body read when the middleware reads the stream itself (default 1 MiB). */
  limitBytes?: number;
}

type Request = IncomingMessage & { body?: unknown; rawBody?: unknown; webhook?: VerifiedWebhook };
type Next = (err?: unknown) => void;

export function webhookMiddleware(options: ExpressWebhookOptions): (req: Request, res: ServerResponse, next: Next) => void {
  const verifier = createVerifier(options);
  const limit = options.limitBytes ?? 1024 * 1024;
  return (req, res, next) => {
    void (async () => {
      let webhook: VerifiedWebhook;
      try {
        webhook = verifier.verify(await rawBodyOf(req, limit), req.headers);
      } catch (err) {
        const answer = refusal(err);
        return answer ? send(res, answer) : next(err);
      }
      req.webhook = webhook;
      req.body = webhook.payload;
      if (!options.dedupe) return next();
      // The application answers after next(); the claim is settled by the status it answered with.
      const outcome = await options.dedupe.run(webhook.id, () => {
        const finished = new Promise<{ done: boolean; value: undefined }>((resolve) => {
          res.once("finish", () => resolve({ done: handled(res.statusCode), value: undefined }));
          res.once("close", () => resolve({ done: res.writableFinished && handled(res.statusCode), value: undefined }));
        });
        next();
        return finished;
      });
      if (outcome.status === "duplicate") send(res, DUPLICATE);
      else if (outcome.status === "in_progress") send(res, IN_PROGRESS);
    })().catch(next);
  };
}

async function rawBodyOf(req: Request, limit: number): Promise<RawBody> {
  if (Buffer.isBuffer(req.body) || typeof req.body === "string") return req.body;
  if (Buffer.isBuffer(req.rawBody)) return req.rawBody;
  if (req.body === undefined && !req.readableEnded) return readStream(req, limit);
  throw new RawBodyError(
    "the request body was parsed before webhookMiddleware and the raw bytes were not kept: mount the middleware before " +
      "express.json() (or on a router without it), or keep the bytes with express.json({ verify: (req, _res, buf) => { req.rawBody = buf } })",
  );
}

function readStream(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) return void chunks.push(chunk);
      // Keep reading but drop the rest, so the 413 can still be answered on this connection.
      req.off("data", onData);
      req.resume();
      reject(new RawBodyError(`the request body is larger than ${limit} bytes`, 413));
    };
    req.on("data", onData);
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

function send(res: ServerResponse, answer: Answer): void {
  if (res.headersSent) return;
  res.writeHead(answer.status, answer.headers);
  res.end(JSON.stringify(answer.body));
}
