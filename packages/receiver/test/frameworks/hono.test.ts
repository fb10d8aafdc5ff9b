/**
 * The Hono middleware on a real server (@hono/node-server): the shared framework checks, and that the handler can
 * still read the body itself after the middleware consumed it.
 */
import { type ServerType, serve } from "@hono/node-server";
import type { AddressInfo } from "node:net";
import { Hono } from "hono";
import { afterEach, describe, expect, it } from "vitest";
import { type WebhookVariables, webhookMiddleware } from "../../src/adapters/hono.js";
import { frameworkSuite, type RunningServer } from "../support/framework-suite.js";
import { hmacSignature, nowS, webhookHeaders } from "../support/sign.js";

async function listen(fetchHandler: (request: Request) => Response | Promise<Response>, path: string): Promise<RunningServer> {
  const server = await new Promise<ServerType>((resolve) => {
    const s = serve({ fetch: fetchHandler, port: 0, hostname: "127.0.0.1" }, () => resolve(s));
  });
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}${path}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

frameworkSuite("Hono", (options, behaviour) => {
  const app = new Hono<{ Variables: WebhookVariables }>();
  app.post("/webhooks", webhookMiddleware(options), (c) => c.body(null, behaviour(c.get("webhook")) as 204));
  return listen(app.fetch, "/webhooks");
});

describe("Hono body", () => {
  const servers: RunningServer[] = [];
  afterEach(async () => {
    for (const s of servers.splice(0)) await s.close();
  });

  it("leaves the body readable by the handler after verification", async () => {
    const secret = `whsec_${Buffer.alloc(32, 3).toString("base64")}`;
    const app = new Hono<{ Variables: WebhookVariables }>();
    app.post("/webhooks", webhookMiddleware({ secret }), async (c) => c.json({ again: await c.req.json(), id: c.get("webhook").id }));
    const server = await listen(app.fetch, "/webhooks");
    servers.push(server);
    const body = '{"id":"evt_1","data":{"n":1}}';
    const ts = nowS();
    const res = await fetch(server.url, { method: "POST", headers: webhookHeaders("evt_1", ts, hmacSignature(secret, "evt_1", ts, body)), body });
    expect(await res.json()).toEqual({ again: { id: "evt_1", data: { n: 1 } }, id: "evt_1" });
  });
});
