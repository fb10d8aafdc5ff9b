/**
 * One connection per relayed outbox LISTENs on `hookd_outbox` (notified by the table's trigger at the commit of
 * every inserting transaction). If the connection drops it reconnects with backoff and wakes the relay once, since
 * a notification sent while it was away is lost; the relay's poll is the safety net, never the primary path.
 */
import { ListenConnection } from "../store/postgres/listen-connection.ts";
import { OUTBOX_CHANNEL } from "./ddl.ts";

export class OutboxListener {
  private readonly connection: ListenConnection;

  constructor(connectionString: string, onNotify: () => void, onError: (err: Error) => void) {
    this.connection = new ListenConnection(connectionString, [OUTBOX_CHANNEL], {
      onNotification: () => onNotify(),
      onListening: onNotify,
      onError,
    });
  }

  start(): void {
    this.connection.start();
  }

  close(): Promise<void> {
    return this.connection.close();
  }
}
