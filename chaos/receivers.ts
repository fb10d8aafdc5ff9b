/**
 * The chaos suite's receivers: one HTTP server on loopback whose path picks the behaviour of each of the 20
 * endpoints. Most are healthy; one answers 500 a third of the time, one takes 2 s, one drops the connection in the
 * middle of its response. Every completed 2xx answer is recorded as (webhook-id, endpoint index).
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export const ENDPOINTS = 20;
export const FLAKY = 17;
export const SLOW = 18;
export const DROPPER = 19;

export class ChaosReceivers {
  /** `${webhookId}|${endpointIndex}` -> how many times a 2xx answer was sent for it. */
  readonly delivered = new Map<string, number>();
  requests = 0;
  private server: Server | null = null;
  url = "";

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      req.resume();
      req.on("end", () => {
        this.requests++;
        const index = Number(req.url?.split("/")[2]);
        const id = String(req.headers["webhook-id"]);
        const ok = () => {
          res.writeHead(204);
          res.end();
          const key = `${id}|${index}`;
          this.delivered.set(key, (this.delivered.get(key) ?? 0) + 1);
        };
        if (index === FLAKY && Math.random() < 1 / 3) {
          res.writeHead(500);
          res.end("flaky");
        } else if (index === SLOW) {
          setTimeout(ok, 2_000);
        } else if (index === DROPPER) {
          res.writeHead(200, { "content-length": "100" });
          res.write("partial");
          setImmediate(() => res.socket?.destroy());
        } else {
          ok();
        }
      });
    });
    this.server.keepAliveTimeout = 5_000;
    await new Promise<void>((resolve) => this.server?.listen(0, "127.0.0.1", resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
