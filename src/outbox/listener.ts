/**
 * One connection per relayed outbox LISTENs on `hookd_outbox` (notified by the table's trigger at the commit of
 * every inserting transaction). If the connection drops it reconnects with backoff and wakes the relay once, since
 * a notification sent while it was away is lost; the relay's poll is the safety net, never the primary path.
 */
import pg from "pg";
import { OUTBOX_CHANNEL } from "./ddl.ts";

export class OutboxListener {
  private client: pg.Client | null = null;
  private closed = false;
  private retryMs = 100;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly connectionString: string,
    private readonly onNotify: () => void,
    private readonly onError: (err: Error) => void,
  ) {}

  start(): void {
    void this.connect();
  }

  private async connect(): Promise<void> {
    if (this.closed) return;
    const client = new pg.Client({ connectionString: this.connectionString, keepAlive: true });
    client.on("notification", () => this.onNotify());
    client.on("error", (err) => {
      this.onError(err);
      this.reconnect(client);
    });
    client.on("end", () => this.reconnect(client));
    try {
      await client.connect();
      await client.query(`LISTEN ${OUTBOX_CHANNEL}`);
      if (this.closed) {
        await client.end();
        return;
      }
      this.client = client;
      this.retryMs = 100;
      this.onNotify();
    } catch (err) {
      this.onError(err as Error);
      this.reconnect(client);
    }
  }

  private reconnect(client: pg.Client): void {
    if (this.closed || this.timer) return;
    if (this.client !== null && this.client !== client) return;
    this.client = null;
    client.removeAllListeners("end");
    client.end().catch(() => undefined);
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.connect();
    }, this.retryMs);
    this.retryMs = Math.min(this.retryMs * 2, 5_000);
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    const client = this.client;
    this.client = null;
    if (client) {
      client.removeAllListeners("end");
      await client.end().catch(() => undefined);
    }
  }
}
