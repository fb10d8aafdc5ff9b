import { createServer, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { createRelayAgent, relayRouteUrl } from "../outbound/relay-egress.ts";
import { sendToRelay } from "./relay-send.ts";

const servers: Server[] = [];
const agent = createRelayAgent();
afterEach(async () => {
  for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
});
afterAll(() => agent.close());

/** A stand-in for hookd's relay route on loopback (which the tenant egress policy would refuse). */
async function route(answer: (res: ServerResponse) => void): Promise<string> {
  const server = createServer((req, res) => {
    req.resume();
    req.on("end", () => answer(res));
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const send = (url: string, endpointId = "ep_1") =>
  sendToRelay(
    { url, headers: { "content-type": "application/json" }, body: "{}", attempt: 1 },
    { dispatcher: agent, tenantId: "acme", endpointId, timeoutMs: 2_000, controller: new AbortController() },
  );

describe("sendToRelay", () => {
  it("passes the relayed local answer through as the attempt's response", async () => {
    const base = await route((res) => res.writeHead(500, { "hookd-relay": "forwarded" }).end("local failure"));
    const sent = await send(relayRouteUrl(base, "acme", "ep_1"));
    expect(sent.result).toMatchObject({ kind: "response", statusCode: 500 });
    expect(sent.responseBody).toBe("local failure");
  });

  it("turns the route's not-connected answer into a relay_not_connected failure", async () => {
    const base = await route((res) => res.writeHead(503, { "hookd-relay": "not-connected" }).end("{}"));
    const sent = await send(relayRouteUrl(base, "acme", "ep_1"));
    expect(sent.result).toMatchObject({ kind: "error", errorClass: "relay_not_connected" });
    expect(sent.responseBody).toBeNull();
  });

  it("records a local server the command could not reach as a connect failure with its reason", async () => {
    const base = await route((res) => res.writeHead(502, { "hookd-relay": "local-error" }).end("POST http://localhost:3000/: ECONNREFUSED"));
    const sent = await send(relayRouteUrl(base, "acme", "ep_1"));
    expect(sent.result).toEqual({
      kind: "error",
      errorClass: "connect",
      message: "hookd listen could not reach the local URL: POST http://localhost:3000/: ECONNREFUSED",
    });
  });

  it("sends nothing to a URL that is not this endpoint's relay route", async () => {
    let hits = 0;
    const base = await route((res) => {
      hits++;
      res.end();
    });
    for (const url of [`${base}/internal/relay/acme/ep_2`, `${base}/hook`]) {
      const sent = await send(url);
      expect(sent.result).toMatchObject({ kind: "error", errorClass: "internal" });
    }
    expect(hits).toBe(0);
  });
});
