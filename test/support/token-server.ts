/**
 * A real OAuth2 token endpoint for tests (client credentials grant, RFC 6749 4.4) on 127.0.0.1 port 0. It checks the
 * client's credentials (HTTP Basic or form fields), issues tokens `tok-1`, `tok-2`, ... with the lifetime the test
 * sets, records every request, and can be told to fail. `isValid` tells a receiver whether a bearer token was issued
 * here and has not expired or been revoked.
 */
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface TokenRequestSeen {
  headers: IncomingHttpHeaders;
  form: Record<string, string>;
  /** The client id and secret as the server read them (from Basic or from the form), or null. */
  client: { id: string; secret: string } | null;
}

export class TokenServer {
  readonly requests: TokenRequestSeen[] = [];
  /** Seconds each new token lasts; null leaves `expires_in` out. */
  expiresInS: number | null = 3600;
  /** When set, every request is answered with this status and body instead of a token. */
  failWith: { status: number; body: unknown } | null = null;
  private readonly issued = new Map<string, { expiresAt: number; revoked: boolean }>();
  private server: Server | null = null;
  url = "";

  constructor(
    private readonly clientId: string,
    private readonly clientSecret: string,
  ) {}

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const form = Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString("utf8")));
        const client = clientOf(req.headers, form);
        this.requests.push({ headers: req.headers, form, client });
        const json = (status: number, body: unknown) => {
          res.writeHead(status, { "content-type": "application/json", "cache-control": "no-store" });
          res.end(JSON.stringify(body));
        };
        if (this.failWith) return json(this.failWith.status, this.failWith.body);
        if (req.method !== "POST" || form.grant_type !== "client_credentials") return json(400, { error: "unsupported_grant_type" });
        if (client?.id !== this.clientId || client.secret !== this.clientSecret) return json(401, { error: "invalid_client" });
        const token = `tok-${this.issued.size + 1}`;
        const lifetime = this.expiresInS ?? 3600;
        this.issued.set(token, { expiresAt: Date.now() + lifetime * 1000, revoked: false });
        json(200, { access_token: token, token_type: "Bearer", ...(this.expiresInS === null ? {} : { expires_in: this.expiresInS }) });
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, "127.0.0.1", resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/oauth/token`;
    return this;
  }

  /** Whether `authorization` carries a bearer token issued here that is still valid. */
  isValid(authorization: string | undefined): boolean {
    const token = /^Bearer (.+)$/.exec(authorization ?? "")?.[1];
    const t = token === undefined ? undefined : this.issued.get(token);
    return t !== undefined && !t.revoked && Date.now() < t.expiresAt;
  }

  revoke(token: string): void {
    const t = this.issued.get(token);
    if (t) t.revoked = true;
  }

  /** True once every token issued so far has expired. */
  allExpired(): boolean {
    return [...this.issued.values()].every((t) => Date.now() >= t.expiresAt);
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

function clientOf(headers: IncomingHttpHeaders, form: Record<string, string>): { id: string; secret: string } | null {
  const basic = /^Basic (.+)$/.exec(headers.authorization ?? "")?.[1];
  if (basic !== undefined) {
    const [id = "", secret = ""] = Buffer.from(basic, "base64").toString("utf8").split(":");
    const decode = (s: string) => decodeURIComponent(s.replace(/\+/g, " "));
    return { id: decode(id), secret: decode(secret) };
  }
  if (form.client_id !== undefined && form.client_secret !== undefined) return { id: form.client_id, secret: form.client_secret };
  return null;
}
