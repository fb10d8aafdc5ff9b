/**
 * What every port of the SQLite adapter shares: the connection, its prepared-statement cache, the in-process wake-up
 * for workers, the audit writer and the subscription cache. One per connection (the API thread and the delivery
 * thread each have their own).
 */
import { EventEmitter } from "node:events";
import type { Statement } from "better-sqlite3";
import { auditParams } from "../rows.ts";
import { SubscriptionCache } from "../plan/subscriptions.ts";
import type { AuditEntry } from "../ports/api-keys.ts";
import type { SqliteDatabase } from "./open-database.ts";

export class SqliteContext {
  private readonly statements = new Map<string, Statement<unknown[]>>();
  /** Emits "work" after a commit that gave some unowned endpoint work to do. */
  readonly work = new EventEmitter();
  readonly subscriptions = new SubscriptionCache();

  constructor(readonly db: SqliteDatabase) {
    this.work.setMaxListeners(0);
  }

  /** Statements are prepared once and reused; preparing is far costlier than running. */
  sql(text: string): Statement<unknown[]> {
    let stmt = this.statements.get(text);
    if (!stmt) {
      stmt = this.db.prepare(text);
      this.statements.set(text, stmt);
    }
    return stmt;
  }

  /** Runs `fn` in one write transaction (BEGIN IMMEDIATE: the write lock is taken up front, never upgraded). */
  write<T>(fn: () => T): T {
    return this.db.transaction(fn).immediate();
  }

  /**
   * Like write(), but the commit is not flushed to disk (synchronous = NORMAL for this one commit; WAL mode keeps it
   * atomic and consistent). A process crash loses nothing: the operating system has the WAL. A power cut may lose
   * the last such commits, and only writes whose loss means "do it again" may go this way: a delivery cycle's
   * outcomes and acks (lost ones are sent again, at least once) but never ingest, whose commit is the 202.
   */
  writeUnflushed<T>(fn: () => T): T {
    this.db.pragma("synchronous = NORMAL");
    try {
      return this.write(fn);
    } finally {
      this.db.pragma("synchronous = FULL");
    }
  }

  wake(): void {
    this.work.emit("work");
  }

  /** An endpoint of the tenant (null: any) was changed: owners re-read its config before sending again. */
  endpointsChanged(tenantId: string | null): void {
    this.work.emit("endpoints", tenantId);
  }

  audit(entry: AuditEntry): void {
    this.sql(
      `INSERT INTO audit_log (id, tenant_id, actor_key_id, action, target_type, target_id, before, after, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(...auditParams(entry));
  }
}
