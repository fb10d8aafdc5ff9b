/**
 * The Request -> Response handler (what a Next.js App Router route handler is) served by a real HTTP server
 * (@hono/node-server turns Node's requests into Fetch Requests, as Next does): the shared framework checks, and
 * Ed25519-signed deliveries from hookd verified with the endpoint's public key.
 */
import { type ServerType, serve } from "@hono/node-server";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { withWebhook } from "../../src/adapters/next.js";
import { frameworkSuite, type RunningServer } from "../support/framework-suite.js";
import { useHookd } from "../support/hookd.js";

async function listen(handler: (request: Request) => Promise<Response>, path: string): Promise<RunningServer> {
  const server = await new Promise<ServerType>((resolve) => {
    const s = serve({ fetch: handler, port: 0, hostname: "127.0.0.1" }, () => resolve(s));
  });
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}${path}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

frameworkSuite("Next.js route handler", (options, behaviour) =>
  listen(withWebhook(options, (webhook) => new Response(null, { status: behaviour(webhook) })), "/webhooks"),
);

describe("Next.js route handler with Ed25519", () => {
  const h = useHookd("sqlite");
  const servers: RunningServer[] = [];
  afterEach(async () => {
    for (const s of servers.splice(0)) await s.close();
  });

  it("verifies hookd's v1a signatures with the endpoint's whpk_ key (a public key checks nothing else); a handler returning nothing answers 204", async () => {
    const tenant = await h.tenant();
    // The endpoint comes first (its public key is the receiver's setting); its URL points at the server started next.
    const seen: string[] = [];
    let publicKey = "";
    const server = await listen((request) => withWebhook({ publicKey }, (webhook) => void seen.push(webhook.id))(request), "/hook");
    servers.push(server);
    const ep = await h.api.createEndpoint(tenant, { url: server.url, signature_scheme: "ed25519" });
    expect(ep.public_key).toMatch(/^whpk_/);
    publicKey = ep.public_key as string;
    const event = await h.api.publish(tenant, { type: "order.created", data: { n: 1 } });
    const delivery = await h.api.onlyDeliveryOf(tenant, event.id);
    const done = await h.api.waitForDelivery(tenant, delivery.id, (d) => d.status !== "pending");
    expect(done.status).toBe("succeeded");
    expect(done.attempts[0].status_code).toBe(204);
    expect(seen).toEqual([event.id]);
  });
});
