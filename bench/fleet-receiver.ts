/**
 * The fleet run's unhealthy receivers, run as their own child process (see fleet-receiver-client.ts) so the sink's
 * event loop only ever serves healthy deliveries:
 *   POST /fail/<group>  answers 500 at once (endpoints whose deliveries must fail: retries an hour out, breakers)
 *   POST /hang          reads the request and never answers (endpoints held at max_in_flight)
 * Control routes:
 *   GET  /_fleet/stats    {"failed": {group: requests}, "hanging_open": n, "hanging_total": n}
 *   POST /_fleet/release  drops every held connection (before hookd is stopped, so its shutdown is not held up)
 * The server's port is sent to the parent over IPC once it listens.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { Socket } from "node:net";

const failed: Record<string, number> = {};
const held = new Set<Socket>();
let hangingTotal = 0;

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

function handle(req: IncomingMessage, res: ServerResponse): void {
  const path = (req.url ?? "/").split("?")[0] ?? "/";
  if (path === "/_fleet/stats") return json(res, 200, { failed, hanging_open: held.size, hanging_total: hangingTotal });
  if (path === "/_fleet/release") {
    for (const socket of held) socket.destroy();
    held.clear();
    return json(res, 200, { ok: true });
  }
  if (path.startsWith("/fail/")) {
    const group = path.slice("/fail/".length) || "other";
    failed[group] = (failed[group] ?? 0) + 1;
    req.resume();
    req.on("end", () => json(res, 500, { error: "failing on purpose" }));
    return;
  }
  if (path === "/hang") {
    hangingTotal++;
    const socket = req.socket;
    held.add(socket);
    socket.once("close", () => held.delete(socket));
    req.resume();
    return;
  }
  json(res, 404, { error: "unknown route" });
}

const server = createServer(handle);
// A held request must stay held for as long as hookd waits for it.
server.requestTimeout = 0;
server.headersTimeout = 0;
server.keepAliveTimeout = 60_000;

server.listen(0, "127.0.0.1", () => {
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("fleet receiver: no TCP address");
  process.send?.({ port: address.port });
});

process.on("disconnect", () => process.exit(0));
