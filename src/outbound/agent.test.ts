import { createServer, type Server } from "node:http";
import { createServer as createTlsServer } from "node:tls";
import type { AddressInfo } from "node:net";
import type { Agent } from "undici";
import { fetch, request } from "undici";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createOutboundAgent } from "./agent.ts";
import { createNetworkPolicy } from "./network-policy.ts";
import { EgressBlockedError } from "./target-check.ts";

/** Walks `cause` links (and AggregateError members) looking for an error carrying `code`. */
function findErrorWithCode(err: unknown, code: string): (Error & { code: string }) | undefined {
  const seen = new Set<unknown>();
  const queue: unknown[] = [err];
  while (queue.length > 0) {
    const current = queue.shift();
    if (!(current instanceof Error) || seen.has(current)) continue;
    seen.add(current);
    if ((current as { code?: unknown }).code === code) return current as Error & { code: string };
    queue.push(current.cause);
    if (current instanceof AggregateError) queue.push(...current.errors);
  }
  return undefined;
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error("expected the request to fail");
    },
    (err: unknown) => err,
  );
}

describe("createOutboundAgent", () => {
  let server: Server;
  let port: number;
  let requestsSeen: number;
  let connectionsSeen: number;
  const agents: Agent[] = [];

  const agentFor = (opts: Parameters<typeof createOutboundAgent>[0]): Agent => {
    const agent = createOutboundAgent(opts);
    agents.push(agent);
    return agent;
  };

  beforeEach(async () => {
    requestsSeen = 0;
    connectionsSeen = 0;
    server = createServer((_req, res) => {
      requestsSeen++;
      res.writeHead(200, { "content-type": "text/plain" }).end("delivered");
    });
    server.on("connection", () => {
      connectionsSeen++;
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    port = (server.address() as AddressInfo).port;
  });

  afterEach(async () => {
    await Promise.all(agents.splice(0).map((agent) => agent.close()));
    server.closeAllConnections();
    await new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
  });

  it("refuses to connect to localhost under the default policy", async () => {
    const agent = agentFor({ policy: createNetworkPolicy({ allowedNetworks: [] }) });

    const err = await rejection(request(`http://localhost:${port}/`, { dispatcher: agent }));

    const blocked = findErrorWithCode(err, "EGRESS_BLOCKED");
    expect(blocked).toBeInstanceOf(EgressBlockedError);
    expect((blocked as EgressBlockedError).reason).toBe("loopback");
    expect((blocked as EgressBlockedError).host).toBe("localhost");
    expect(requestsSeen).toBe(0);
    expect(connectionsSeen).toBe(0);
  });

  it.each(["127.0.0.1", "[::ffff:127.0.0.1]", "127.1"])(
    "refuses IP-literal host %s even though Node skips lookup for literals",
    async (host) => {
      const agent = agentFor({ policy: createNetworkPolicy({ allowedNetworks: [] }) });

      const err = await rejection(request(`http://${host}:${port}/`, { dispatcher: agent }));

      expect((findErrorWithCode(err, "EGRESS_BLOCKED") as EgressBlockedError | undefined)?.reason).toBe("loopback");
      expect(requestsSeen).toBe(0);
      expect(connectionsSeen).toBe(0);
    },
  );

  it("judges the address DNS returns at connect time, not an earlier answer", async () => {
    // The name passed registration with a public answer; now it points at loopback.
    const agent = agentFor({
      policy: createNetworkPolicy({ allowedNetworks: [] }),
      resolver: async () => [{ address: "127.0.0.1", family: 4 }],
    });

    const err = await rejection(request(`http://rebound.example:${port}/`, { dispatcher: agent }));

    const blocked = findErrorWithCode(err, "EGRESS_BLOCKED") as EgressBlockedError | undefined;
    expect(blocked?.address).toBe("127.0.0.1");
    expect(blocked?.host).toBe("rebound.example");
    expect(requestsSeen).toBe(0);
  });

  it("connects to the address the guarded resolver returned when it is allowed", async () => {
    const agent = agentFor({
      policy: createNetworkPolicy({ allowedNetworks: ["127.0.0.0/8"] }),
      resolver: async () => [{ address: "127.0.0.1", family: 4 }],
    });

    const res = await request(`http://rebound.example:${port}/`, { dispatcher: agent });

    expect(res.statusCode).toBe(200);
    expect(await res.body.text()).toBe("delivered");
    expect(requestsSeen).toBe(1);
  });

  it("surfaces the refusal as the cause of undici fetch's TypeError", async () => {
    const agent = agentFor({ policy: createNetworkPolicy({ allowedNetworks: [] }) });

    const err = await rejection(fetch(`http://localhost:${port}/`, { dispatcher: agent }));

    expect(err).toBeInstanceOf(TypeError);
    expect((err as TypeError).cause).toBeInstanceOf(EgressBlockedError);
    expect(requestsSeen).toBe(0);
  });

  it("delivers to localhost when loopback networks are allowed", async () => {
    const agent = agentFor({ policy: createNetworkPolicy({ allowedNetworks: ["127.0.0.0/8", "::1/128"] }) });

    const res = await request(`http://localhost:${port}/`, { method: "POST", body: "{}", dispatcher: agent });

    expect(res.statusCode).toBe(200);
    expect(await res.body.text()).toBe("delivered");
    expect(requestsSeen).toBe(1);
  });

  it("reuses the connection for consecutive requests (keep-alive)", async () => {
    const agent = agentFor({ policy: createNetworkPolicy({ allowedNetworks: ["127.0.0.0/8"] }) });

    for (let i = 0; i < 3; i++) {
      const res = await request(`http://127.0.0.1:${port}/`, { dispatcher: agent });
      expect(res.statusCode).toBe(200);
      await res.body.text();
      // undici marks the connection idle again slightly after the body ends; without this pause the pool would open
      // a second connection for the next request.
      await new Promise((resolve) => setImmediate(resolve));
    }

    expect(requestsSeen).toBe(3);
    expect(connectionsSeen).toBe(1);
  });

  it("pins the connection to the checked address but keeps the name in the Host header", async () => {
    let host: string | undefined;
    server.removeAllListeners("request");
    server.on("request", (req, res) => {
      requestsSeen++;
      host = req.headers.host;
      res.writeHead(200).end();
    });
    const agent = agentFor({
      policy: createNetworkPolicy({ allowedNetworks: ["127.0.0.1/32"] }),
      resolver: async () => [{ address: "127.0.0.1", family: 4 }],
    });

    const res = await request(`http://pinned.example:${port}/`, { dispatcher: agent });
    await res.body.text();

    expect(res.statusCode).toBe(200);
    expect(host).toBe(`pinned.example:${port}`);
  });

  it("keeps the name for TLS SNI while connecting to the checked address", async () => {
    // The server records the name the client asked for and then ends the handshake: no certificate is needed to
    // observe SNI.
    const names: string[] = [];
    const tlsServer = createTlsServer({
      SNICallback: (servername, cb) => {
        names.push(servername);
        cb(new Error("test server has no certificate"));
      },
    });
    tlsServer.on("tlsClientError", () => undefined);
    await new Promise<void>((resolve) => tlsServer.listen(0, "127.0.0.1", resolve));
    const tlsPort = (tlsServer.address() as AddressInfo).port;
    try {
      const agent = agentFor({
        policy: createNetworkPolicy({ allowedNetworks: ["127.0.0.1/32"] }),
        resolver: async () => [{ address: "127.0.0.1", family: 4 }],
      });
      await rejection(request(`https://pinned.example:${tlsPort}/`, { dispatcher: agent }));
      expect(names).toEqual(["pinned.example"]);
    } finally {
      await new Promise<void>((resolve) => tlsServer.close(() => resolve()));
    }
  });

  it("judges every address of a name, not only the first", async () => {
    const agent = agentFor({
      policy: createNetworkPolicy({ allowedNetworks: [] }),
      resolver: async () => [
        { address: "93.184.215.14", family: 4 },
        { address: "127.0.0.1", family: 4 },
      ],
    });

    const err = await rejection(request(`http://two-faced.example:${port}/`, { dispatcher: agent }));

    expect((findErrorWithCode(err, "EGRESS_BLOCKED") as EgressBlockedError | undefined)?.address).toBe("127.0.0.1");
    expect(connectionsSeen).toBe(0);
  });

  it.each(["[64:ff9b::7f00:1]", "[2002:7f00:1::1]", "[::ffff:7f00:1]"])(
    "refuses the IPv6 literal %s that carries 127.0.0.1 before connecting",
    async (host) => {
      const agent = agentFor({ policy: createNetworkPolicy({ allowedNetworks: [] }) });
      const err = await rejection(request(`http://${host}:${port}/`, { dispatcher: agent }));
      expect((findErrorWithCode(err, "EGRESS_BLOCKED") as EgressBlockedError | undefined)?.reason).toBe("loopback");
      expect(connectionsSeen).toBe(0);
    },
  );
});
