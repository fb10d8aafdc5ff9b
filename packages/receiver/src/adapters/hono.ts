/**
 * Hono middleware: reads the body as bytes (Hono keeps them, so `c.req.json()` still works afterwards), verifies the
 * delivery and sets `c.get("webhook")` for the handler. Runs on every runtime Hono does (Node, Bun, Deno, Workers)
 * that has node:crypto.
 *
 * @example
 * app.post("/webhooks", webhookMiddleware({ secret: env.WEBHOOK_SECRET }), (c) => {
 *   const webhook = c.get("webhook");
 *   return c.body(null, 204);
 * });
 */
import type { MiddlewareHandler } from "hono";
import { createVerifier, type VerifiedWebhook } from "../verify.js";
import { type Answer, DUPLICATE, handled, IN_PROGRESS, refusal, type WebhookRouteOptions } from "./answers.js";

export type WebhookVariables = { webhook: VerifiedWebhook };

const toResponse = (answer: Answer) => new Response(JSON.stringify(answer.body), { status: answer.status, headers: answer.headers });

export function webhookMiddleware(options: WebhookRouteOptions): MiddlewareHandler<{ Variables: WebhookVariables }> {
  const verifier = createVerifier(options);
  return async (c, next) => {
    let webhook: VerifiedWebhook;
    try {
      webhook = verifier.verify(new Uint8Array(await c.req.arrayBuffer()), c.req.raw.headers);
    } catch (err) {
      const answer = refusal(err);
      if (answer) return toResponse(answer);
      throw err;
    }
    c.set("webhook", webhook);
    if (!options.dedupe) return next();
    const outcome = await options.dedupe.run(webhook.id, async () => {
      await next();
      return { done: handled(c.res.status), value: undefined };
    });
    if (outcome.status === "duplicate") return toResponse(DUPLICATE);
    if (outcome.status === "in_progress") return toResponse(IN_PROGRESS);
  };
}
