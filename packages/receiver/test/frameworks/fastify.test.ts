/**
 * The Fastify plugin on a real Fastify 5 server: the shared framework checks, and that keeping the raw bytes for the
 * webhook route leaves JSON parsing of the app's other routes as it was.
 */
import Fastify from "fastify";
import { afterEach, describe, expect, it } from "vitest";
import { webhookPlugin } from "../../src/adapters/fastify.js";
import { frameworkSuite } from "../support/framework-suite.js";
import { hmacSignature, nowS, webhookHeaders } from "../support/sign.js";

frameworkSuite("Fastify", async (options, behaviour) => {
  const app = Fastify();
  await app.register(webhookPlugin, { ...options, path: "/webhooks", onWebhook: (webhook, _request, reply) => reply.code(behaviour(webhook)).send() });
  const address = await app.listen({ port: 0, host: "127.0.0.1" });
  return { url: `${address}/webhooks`, close: () => app.close() };
});

describe("Fastify plugin scope", () => {
  const apps: ReturnType<typeof Fastify>[] = [];
  afterEach(async () => {
    for (const app of apps.splice(0)) await app.close();
  });

  it("keeps the rest of the app's JSON parsing, serves under a prefix, and answers 204 when the handler returns nothing", async () => {
    const secret = `whsec_${Buffer.alloc(32, 9).toString("base64")}`;
    const app = Fastify();
    apps.push(app);
    const seen: unknown[] = [];
    app.post("/api/echo", async (request) => ({ parsed: request.body }));
    await app.register(webhookPlugin, { prefix: "/hooks", secret, onWebhook: (webhook) => void seen.push(webhook.payload) });
    const address = await app.listen({ port: 0, host: "127.0.0.1" });

    const echo = await fetch(`${address}/api/echo`, { method: "POST", headers: { "content-type": "application/json" }, body: '{"a": 1}' });
    expect(await echo.json()).toEqual({ parsed: { a: 1 } });

    const body = '{"id":"evt_1","data":{"amount":  1}}';
    const ts = nowS();
    const res = await fetch(`${address}/hooks`, { method: "POST", headers: webhookHeaders("evt_1", ts, hmacSignature(secret, "evt_1", ts, body)), body });
    expect(res.status).toBe(204);
    expect(seen).toEqual([{ id: "evt_1", data: { amount: 1 } }]);
  });
});
