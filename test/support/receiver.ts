/**
 * A real HTTP receiver on 127.0.0.1 port 0 for end-to-end tests. Every request is recorded with its headers and raw
 * body; the response is chosen per request by a handler the test can swap at any time.
 */
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface ReceivedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  at: number;
}

export type ReceiverHandler = (req: ReceivedRequest, res: ServerResponse) => void;

export const answer =
  (status: number, headers: Record<string, string> = {}, body = ""): ReceiverHandler =>
  (_req, res) => {
    res.writeHead(status, headers);
    res.end(body);
  };

export class Receiver {
  readonly received: ReceivedRequest[] = [];
  handler: ReceiverHandler = answer(204);
  private server: Server | null = null;
  private waiters: { count: number; resolve: () => void }[] = [];
  url = "";

  /** Listens on `host` (any 127/8 address works on Linux, so tests can tell an allowed receiver from a victim). */
  async start(host = "127.0.0.1"): Promise<this> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const r: ReceivedRequest = {
          method: req.method ?? "",
          path: req.url ?? "",
          headers: req.headers,
          body: Buffer.concat(chunks).toString("utf8"),
          at: Date.now(),
        };
        this.received.push(r);
        this.handler(r, res);
        this.waiters = this.waiters.filter((w) => {
          if (this.received.length >= w.count) w.resolve();
          return this.received.length < w.count;
        });
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, host, resolve));
    const { port } = this.server.address() as AddressInfo;
    this.url = `http://${host}:${port}`;
    return this;
  }

  /** Resolves once `count` requests in total have arrived, or rejects after `timeoutMs`. */
  waitFor(count: number, timeoutMs = 10_000): Promise<void> {
    if (this.received.length >= count) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`receiver got ${this.received.length} of ${count} requests in ${timeoutMs} ms`)),
        timeoutMs,
      );
      this.waiters.push({
        count,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      });
    });
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
