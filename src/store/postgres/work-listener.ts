/**
 * Wakes workers within milliseconds of new work committed by any process: ingest and replay run
 * `pg_notify('hookd_work')` inside their transaction, so the notification is delivered exactly when the rows become
 * visible. One dedicated connection per process LISTENs; if it drops (a database restart), it reconnects with
 * backoff and fires one wake-up so anything committed while it was away is picked up. The workers' idle poll is the
 * safety net, never the primary path.
 */
import pg from "pg";

export const WORK_CHANNEL = "hookd_work";

export class WorkListener {
  private client: pg.Client | null = null;
  private closed = false;
  private retryMs = 100;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly connectionString: string,
    private readonly onWork: () => void,
    private readonly onError: (err: Error) => void,
  ) {}

  start(): void {
    void this.connect();
  }

  private async connect(): Promise<void> {
    if (this.closed) return;
    const client = new pg.Client({ connectionString: this.connectionString, keepAlive: true, keepAliveInitialDelayMillis: 10_000 });
    client.on("notification", () => this.onWork());
    client.on("error", (err) => {
      this.onError(err);
      this.reconnect(client);
    });
    client.on("end", () => this.reconnect(client));
    try {
      await client.connect();
      await client.query(`LISTEN ${WORK_CHANNEL}`);
      if (this.closed) {
        await client.end();
        return;
      }
      this.client = client;
      this.retryMs = 100;
      this.onWork();
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
