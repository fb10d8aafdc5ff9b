/**
 * The Express adapter on a real Express 5 server: the shared framework checks, and the raw-body cases particular to
 * Express: no body parser (the middleware reads the stream), `express.raw()`, `express.json()` with a `verify` hook
 * keeping the bytes, and `express.json()` alone, which must fail loudly with how to fix it rather than as a bad
 * signature.
 */
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import express from "express";
import { afterEach, describe, expect, it } from "vitest";
import { webhookMiddleware } from "../../src/adapters/express.js";
import { frameworkSuite, type RunningServer } from "../support/framework-suite.js";
import { hmacSignature, nowS, webhookHeaders } from "../support/sign.js";

async function listen(app: express.Express, path: string): Promise<RunningServer> {
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, "127.0.0.1", () => resolve(s));
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${path}`,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

frameworkSuite("Express", (options, behaviour) => {
  const app = express();
  app.post("/webhooks", webhookMiddleware(options), (req, res) => {
    res.sendStatus(behaviour(req.webhook!));
  });
  return listen(app, "/webhooks");
});

describe("Express raw body", () => {
  const servers: RunningServer[] = [];
  afterEach(async () => {
    for (const s of servers.splice(0)) await s.close();
  });
  const secret = `whsec_${Buffer.alloc(32, 7).toString("base64")}`;
  const body = '{"id":"evt_1","type":"invoice.paid","data":{"amount":  4200}}';

  async function post(url: string) {
    const ts = nowS();
    const res = await fetch(url, { method: "POST", headers: webhookHeaders("evt_1", ts, hmacSignature(secret, "evt_1", ts, body)), body });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  }

  it("verifies after express.raw(), after express.json() with a verify hook, and refuses express.json() alone with the fix", async () => {
    const app = express();
    const echo = (req: express.Request, res: express.Response) => res.json({ id: req.webhook!.id, body: req.body as unknown });
    app.post("/raw", express.raw({ type: "application/json" }), webhookMiddleware({ secret }), echo);
    app.post(
      "/json-verify",
      express.json({ verify: (req, _res, buf) => void ((req as unknown as { rawBody: Buffer }).rawBody = buf) }),
      webhookMiddleware({ secret }),
      echo,
    );
    app.post("/json", express.json(), webhookMiddleware({ secret }), echo);
    const server = await listen(app, "");
    servers.push(server);

    const expected = { id: "evt_1", body: { id: "evt_1", type: "invoice.paid", data: { amount: 4200 } } };
    expect(await post(`${server.url}/raw`)).toEqual({ status: 200, body: expected });
    expect(await post(`${server.url}/json-verify`)).toEqual({ status: 200, body: expected });
    const refused = await post(`${server.url}/json`);
    expect(refused.status).toBe(500);
    expect(refused.body.code).toBe("RAW_BODY_UNAVAILABLE");
    expect(refused.body.message).toMatch(/mount the middleware before express\.json\(\)/);
  });

  it("answers 413 to a body over the limit it reads itself", async () => {
    const app = express();
    app.post("/small", webhookMiddleware({ secret, limitBytes: 16 }), (_req, res) => res.sendStatus(204));
    const server = await listen(app, "");
    servers.push(server);
    expect((await post(`${server.url}/small`)).status).toBe(413);
  });
});
