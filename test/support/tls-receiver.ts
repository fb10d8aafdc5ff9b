/**
 * A real HTTPS receiver on 127.0.0.1 port 0 that requires a client certificate signed by the CA it is given (mTLS):
 * a connection without one, or with one from another CA, is refused during the handshake. Every request that gets
 * through is recorded with the common name of the certificate the client presented; failed handshakes are counted.
 */
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import type { TLSSocket } from "node:tls";
import type { Pem } from "./tls-certificates.ts";

export interface TlsRequest {
  path: string;
  /** The subject CN of the client certificate. */
  clientCn: string;
  body: string;
}

export class TlsReceiver {
  readonly received: TlsRequest[] = [];
  /** Handshakes the server refused (no client certificate, an untrusted one, ...), with the error code. */
  readonly refused: string[] = [];
  private server: Server | null = null;
  url = "";

  constructor(
    private readonly server_: Pem,
    private readonly trustedClientCa: string,
  ) {}

  async start(): Promise<this> {
    this.server = createServer(
      { cert: this.server_.cert, key: this.server_.key, ca: this.trustedClientCa, requestCert: true, rejectUnauthorized: true },
      (req, res) => {
        const chunks: Buffer[] = [];
        req.on("data", (c: Buffer) => chunks.push(c));
        req.on("end", () => {
          const peer = (req.socket as TLSSocket).getPeerCertificate();
          this.received.push({ path: req.url ?? "", clientCn: String(peer.subject?.CN ?? ""), body: Buffer.concat(chunks).toString("utf8") });
          res.writeHead(204);
          res.end();
        });
      },
    );
    this.server.on("tlsClientError", (err: Error & { code?: string }) => this.refused.push(err.code ?? err.message));
    await new Promise<void>((resolve) => this.server?.listen(0, "127.0.0.1", resolve));
    this.url = `https://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
