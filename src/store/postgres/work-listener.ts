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
import { ListenConnection } from "./listen-connection.ts";

export const WORK_CHANNEL = "hookd_work";
export const ENDPOINTS_CHANNEL = "hookd_endpoints";

export interface ListenerHandlers {
  onWork: () => void;
  /** A tenant's endpoints changed; null: anything may have changed (after a reconnect). */
  onEndpoints: (tenantId: string | null) => void;
  onError: (err: Error) => void;
}

export class WorkListener {
  private readonly connection: ListenConnection;

  constructor(connectionString: string, handlers: ListenerHandlers) {
    this.connection = new ListenConnection(connectionString, [WORK_CHANNEL, ENDPOINTS_CHANNEL], {
      onNotification: (channel, payload) => {
        if (channel === ENDPOINTS_CHANNEL) handlers.onEndpoints(payload || null);
        else handlers.onWork();
      },
      onListening: () => {
        handlers.onEndpoints(null);
        handlers.onWork();
      },
      onError: handlers.onError,
    });
  }

  start(): void {
    this.connection.start();
  }

  close(): Promise<void> {
    return this.connection.close();
  }
}
