/**
 * One dedicated connection per process LISTENs for hookd's notifications, sent inside the transactions that cause
 * them, so each arrives exactly when its rows become visible:
 * - `hookd_work`: an endpoint no worker owns got work (ingest, replay, a retry's endpoint given back) -> wake the
 *   worker so it takes the endpoint over within milliseconds rather than at its next poll;
 * - `hookd_endpoints` (payload: a tenant id): the tenant's endpoints changed -> drop its cached subscriptions.
 * If the connection drops (a database restart), it reconnects with backoff and then fires both handlers once (wake
 * up, forget every cached subscription), since anything sent while it was away is lost. The worker's poll and the
 * cache's time limit are the safety nets, never the primary path.
 */
import pg from "pg";

export const WORK_CHANNEL = "hookd_work";
export const ENDPOINTS_CHANNEL = "hookd_endpoints";

export interface ListenerHandlers {
  onWork: () => void;
  /** A tenant's endpoints changed; null: anything may have changed (after a reconnect). */
  onEndpoints: (tenantId: string | null) => void;
  onError: (err: Error) => void;
}

export class WorkListener {
  private client: pg.Client | null = null;
  private closed = false;
  private retryMs = 100;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly connectionString: string,
    private readonly handlers: ListenerHandlers,
  ) {}

  start(): void {
    void this.connect();
  }

  private async connect(): Promise<void> {
    if (this.closed) return;
    const client = new pg.Client({ connectionString: this.connectionString, keepAlive: true, keepAliveInitialDelayMillis: 10_000 });
    client.on("notification", (n) => {
      if (n.channel === ENDPOINTS_CHANNEL) this.handlers.onEndpoints(n.payload || null);
      else this.handlers.onWork();
    });
    client.on("error", (err) => {
      this.handlers.onError(err);
      this.reconnect(client);
    });
    client.on("end", () => this.reconnect(client));
    try {
      await client.connect();
      await client.query(`LISTEN ${WORK_CHANNEL}; LISTEN ${ENDPOINTS_CHANNEL}`);
      if (this.closed) {
        await client.end();
        return;
      }
      this.client = client;
      this.retryMs = 100;
      this.handlers.onEndpoints(null);
      this.handlers.onWork();
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
