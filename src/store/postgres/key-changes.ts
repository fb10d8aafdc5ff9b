/**
 * KeyChangeBus on PostgreSQL (ports/key-changes.ts): `pg_notify('hookd_keys', change)`, and one LISTEN connection
 * per process, opened when the first listener subscribes. When that connection drops (a database restart), it is
 * made again with backoff, and every listener hears `*`: a change announced while the connection was away is lost,
 * so the caches drop everything rather than trust what they hold.
 *
 * It is a connection of its own, apart from the delivery wake-ups' (work-listener.ts), so the two can change
 * independently; a process holds one more idle connection for it.
 */
import { EventEmitter } from "node:events";
import pg from "pg";
import { withBackoff } from "../../retry/with-backoff.ts";
import type { KeyChange, KeyChangeBus } from "../ports/key-changes.ts";

export const KEY_CHANNEL = "hookd_keys";

export class PostgresKeyChanges implements KeyChangeBus {
  private readonly bus = new EventEmitter().setMaxListeners(0);
  private client: pg.Client | null = null;
  private connecting: Promise<void> | null = null;
  private readonly closed = new AbortController();

  constructor(
    private readonly pool: pg.Pool,
    private readonly connectionString: string,
    private readonly onError: (err: Error) => void,
  ) {}

  /**
   * This process hears the change at once, the others when the NOTIFY reaches them (milliseconds). A failed NOTIFY
   * (the database went away after the change committed) is reported, not thrown: the change itself is done, and the
   * other processes' caches still expire within their TTL.
   */
  async announceKeyChange(change: KeyChange): Promise<void> {
    this.bus.emit("change", change);
    await this.pool.query("SELECT pg_notify($1, $2)", [KEY_CHANNEL, change]).catch((err: Error) => this.onError(err));
  }

  onKeyChange(listener: (change: KeyChange) => void): () => void {
    this.bus.on("change", listener);
    this.connecting ??= this.listen();
    return () => this.bus.off("change", listener);
  }

  /** Resolves once the LISTEN connection is up (for tests and start-up). */
  async ready(): Promise<void> {
    await this.connecting;
  }

  async close(): Promise<void> {
    this.closed.abort();
    await this.connecting?.catch(() => undefined);
    const client = this.client;
    this.client = null;
    if (client) {
      client.removeAllListeners("end");
      await client.end().catch(() => undefined);
    }
  }

  private listen(): Promise<void> {
    return withBackoff(() => this.connect(), {
      minMs: 100,
      maxMs: 5_000,
      signal: this.closed.signal,
      // Closing aborts the wait between tries: that is no connection error.
      onRetry: (err) => {
        if (!this.closed.signal.aborted) this.onError(err as Error);
      },
    }).catch((err: unknown) => {
      if (!this.closed.signal.aborted) this.onError(err as Error);
    });
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({ connectionString: this.connectionString, keepAlive: true, keepAliveInitialDelayMillis: 10_000 });
    client.on("notification", (msg) => {
      if (msg.channel === KEY_CHANNEL && msg.payload) this.bus.emit("change", msg.payload);
    });
    client.on("error", (err) => this.onError(err));
    try {
      await client.connect();
      await client.query(`LISTEN ${KEY_CHANNEL}`);
    } catch (err) {
      await client.end().catch(() => undefined);
      throw err;
    }
    if (this.closed.signal.aborted) {
      await client.end().catch(() => undefined);
      return;
    }
    this.client = client;
    client.once("end", () => {
      if (this.client !== client) return;
      this.client = null;
      this.bus.emit("change", "*");
      if (!this.closed.signal.aborted) this.connecting = this.listen();
    });
    // Whatever was announced before this connection listened is unknown: drop every cached key.
    this.bus.emit("change", "*");
  }
}
