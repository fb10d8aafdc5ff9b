/**
 * What every port of the PostgreSQL adapter shares: the pool, the audit writer, the subscription cache (kept fresh
 * across processes by notifications, see work-listener.ts), this process's stats shard and the in-process wake-up.
 */
import { randomInt } from "node:crypto";
import { EventEmitter } from "node:events";
import type pg from "pg";
import { SubscriptionCache } from "../plan/subscriptions.ts";
import type { AuditEntry } from "../ports/api-keys.ts";
import { auditParams } from "../rows.ts";
import { createPool } from "./pool.ts";
import { WorkListener } from "./work-listener.ts";

export interface PostgresStoreOptions {
  url: string;
  poolSize: number;
  onError: (err: Error) => void;
  /** The stats row this store adds to in each minute; random unless a test pins it. */
  statsShard?: number;
}

/** Stats rows per endpoint and minute: enough that a handful of worker processes rarely share one. */
const STATS_SHARDS = 16;

const INSERT_AUDIT = `INSERT INTO audit_log
  (id, tenant_id, actor_key_id, action, target_type, target_id, before, after, created_at)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`;

export class PostgresContext {
  readonly pool: pg.Pool;
  readonly work = new EventEmitter();
  readonly subscriptions = new SubscriptionCache();
  /** This process's row of each stats minute (000012_endpoint_attempt_stats.sql): no lock shared with other workers. */
  readonly statsShard: number;
  private listener: WorkListener | null = null;

  constructor(readonly options: PostgresStoreOptions) {
    this.statsShard = options.statsShard ?? randomInt(STATS_SHARDS);
    this.pool = createPool(options.url, options.poolSize, options.onError);
    this.work.setMaxListeners(0);
  }

  /** Starts listening (once): wake-ups for workers, and cache invalidation for ingest. */
  listen(): void {
    if (this.listener) return;
    this.listener = new WorkListener(this.options.url, {
      onWork: () => this.work.emit("work"),
      onEndpoints: (tenantId) => {
        if (tenantId === null) this.subscriptions.clear();
        else this.subscriptions.invalidate(tenantId);
        this.work.emit("endpoints", tenantId);
      },
      onError: this.options.onError,
    });
    this.listener.start();
  }

  async close(): Promise<void> {
    await this.listener?.close();
    this.work.removeAllListeners();
    await this.pool.end();
  }

  /**
   * A tenant's endpoints changed, and the change has committed: this process hears of it now (its subscription cache
   * and its worker's owned lanes), not only when the NOTIFY sent with the change comes back over the LISTEN
   * connection. In one process that round trip is the gap in which an owner could still send to an endpoint that
   * was just disabled. The NOTIFY still comes back too, and says it again: harmless (an owner reads the endpoint's
   * config once more), and it also covers a COMMIT whose answer was lost although the server committed it. The
   * notice's payload stays the bare tenant id, which every version of hookd reads.
   */
  endpointsChanged(tenantId: string): void {
    this.subscriptions.invalidate(tenantId);
    this.work.emit("endpoints", tenantId);
  }

  /** Writes an audit row on the transaction's client, so it commits or rolls back with the change it describes. */
  async audit(client: pg.PoolClient | pg.Pool, entry: AuditEntry): Promise<void> {
    await client.query(INSERT_AUDIT, auditParams(entry));
  }
}
