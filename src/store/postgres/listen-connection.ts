/**
 * A dedicated PostgreSQL connection that LISTENs on fixed channels and stays connected: if it drops (a database
 * restart, a network cut) it reconnects with backoff (100 ms doubling to 5 s) and, once listening again, says so
 * through `onListening`, because a notification sent while it was away is lost and its owner must catch up (wake,
 * forget caches). Used for hookd's own channels (work-listener.ts) and for each relayed outbox (outbox/listener.ts).
 */
import pg from "pg";

export interface ListenHandlers {
  onNotification: (channel: string, payload: string | undefined) => void;
  /** Listening (again): anything sent before now may have been missed. */
  onListening: () => void;
  onError: (err: Error) => void;
}

const CHANNEL = /^[a-z_][a-z0-9_]*$/;

export class ListenConnection {
  private client: pg.Client | null = null;
  private closed = false;
  private retryMs = 100;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly connectionString: string,
    private readonly channels: readonly string[],
    private readonly handlers: ListenHandlers,
  ) {
    // Channel names go into the LISTEN statement as identifiers: only plain ones.
    for (const c of channels) if (!CHANNEL.test(c)) throw new Error(`not a plain channel name: ${c}`);
  }

  start(): void {
    void this.connect();
  }

  private async connect(): Promise<void> {
    if (this.closed) return;
    const client = new pg.Client({ connectionString: this.connectionString, keepAlive: true, keepAliveInitialDelayMillis: 10_000 });
    client.on("notification", (n) => this.handlers.onNotification(n.channel, n.payload));
    client.on("error", (err) => {
      this.handlers.onError(err);
      this.reconnect(client);
    });
    client.on("end", () => this.reconnect(client));
    try {
      await client.connect();
      await client.query(this.channels.map((c) => `LISTEN ${c}`).join("; "));
      if (this.closed) {
        await client.end();
        return;
      }
      this.client = client;
      this.retryMs = 100;
      this.handlers.onListening();
    } catch (err) {
      this.handlers.onError(err as Error);
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
