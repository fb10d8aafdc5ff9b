/**
 * A Web-standard Request -> Response handler: Next.js App Router route handlers (`export const POST = ...`), and
 * any runtime that speaks fetch (Bun.serve, Deno.serve, Cloudflare Workers with node:crypto). It reads the body with
 * `request.arrayBuffer()`, so the signed bytes are verified, never a re-serialised object.
 *
 * @example
 * // app/webhooks/route.ts
 * export const POST = withWebhook({ secret: process.env.WEBHOOK_SECRET }, async (webhook) => {
 *   await fulfil(webhook.payload);
 *   return new Response(null, { status: 204 });
 * });
 */
import { createVerifier, type VerifiedWebhook } from "../verify.js";
import { type Answer, DUPLICATE, handled, IN_PROGRESS, refusal, type WebhookRouteOptions } from "./answers.js";

export type WebhookHandler = (webhook: VerifiedWebhook, request: Request) => Response | void | Promise<Response | void>;

const toResponse = (answer: Answer) => new Response(JSON.stringify(answer.body), { status: answer.status, headers: answer.headers });

/** A handler that returns nothing is answered 204. */
export function withWebhook(options: WebhookRouteOptions, handler: WebhookHandler): (request: Request) => Promise<Response> {
  const verifier = createVerifier(options);
  return async (request) => {
    let webhook: VerifiedWebhook;
    try {
      webhook = verifier.verify(new Uint8Array(await request.arrayBuffer()), request.headers);
    } catch (err) {
      const answer = refusal(err);
      if (answer) return toResponse(answer);
      throw err;
    }
    const run = async () => {
      const response = (await handler(webhook, request)) ?? new Response(null, { status: 204 });
      return { done: handled(response.status), value: response };
    };
    if (!options.dedupe) return (await run()).value;
    const outcome = await options.dedupe.run(webhook.id, run);
    if (outcome.status === "duplicate") return toResponse(DUPLICATE);
    if (outcome.status === "in_progress") return toResponse(IN_PROGRESS);
    return outcome.value;
  };
}
