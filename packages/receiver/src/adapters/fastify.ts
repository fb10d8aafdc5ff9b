/**
 * A Fastify plugin that serves one webhook route. Fastify parses JSON bodies before any hook runs, so the plugin
 * registers, in its own encapsulated context, a parser that keeps the bytes; the rest of the app keeps its usual
 * JSON parsing. The handler gets the verified webhook; answering is up to it, and without an answer the route
 * replies 204.
 *
 * @example
 * await app.register(webhookPlugin, {
 *   path: "/webhooks",
 *   secret: process.env.WEBHOOK_SECRET,
 *   onWebhook: async (webhook, request, reply) => { await fulfil(webhook.payload); },
 * });
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from "fastify";
import { createVerifier, type VerifiedWebhook } from "../verify.js";
import { type Answer, DUPLICATE, handled, IN_PROGRESS, refusal, type WebhookRouteOptions } from "./answers.js";

export interface FastifyWebhookOptions extends WebhookRouteOptions {
  /** The route's path (default `/`, so a `prefix` given to register places it). */
  path?: string;
  /** Largest body accepted (default 1 MiB); larger ones get Fastify's 413. */
  bodyLimit?: number;
  onWebhook: (webhook: VerifiedWebhook, request: FastifyRequest, reply: FastifyReply) => unknown;
}

export const webhookPlugin: FastifyPluginAsync<FastifyWebhookOptions> = async (app, options) => {
  const verifier = createVerifier(options);
  const send = (reply: FastifyReply, answer: Answer) => reply.code(answer.status).headers(answer.headers).send(answer.body);

  // Any content type, as bytes: the signature covers the body whatever the sender called it.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("*", { parseAs: "buffer", bodyLimit: options.bodyLimit ?? 1024 * 1024 }, (_req, body, done) =>
    done(null, body),
  );

  app.post(options.path ?? "/", async (request, reply) => {
    let webhook: VerifiedWebhook;
    try {
      webhook = verifier.verify(Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0), request.headers);
    } catch (err) {
      const answer = refusal(err);
      if (answer) return send(reply, answer);
      throw err;
    }
    const run = async () => {
      const result = await options.onWebhook(webhook, request, reply);
      if (!reply.sent) {
        if (result === undefined) reply.code(204);
        await reply.send(result);
      }
      return { done: handled(reply.statusCode), value: undefined };
    };
    if (!options.dedupe) return run().then(() => reply);
    const outcome = await options.dedupe.run(webhook.id, run);
    if (outcome.status === "duplicate") return send(reply, DUPLICATE);
    if (outcome.status === "in_progress") return send(reply, IN_PROGRESS);
    return reply;
  });
};
