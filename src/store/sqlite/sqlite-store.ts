/**
 * The embedded store: one SQLite file, one process. better-sqlite3 is synchronous, so every operation runs to
 * completion inside one transaction without interleaving; the async signatures only satisfy the shared contract.
 * Assembled from one file per port (the same names as the PostgreSQL adapter's), sharing one SqliteContext.
 * Workers in the same process are woken through an in-process emitter right after a commit that created work.
 */
import type { Store } from "../store.ts";
import { sqliteApiKeys } from "./api-keys.ts";
import { SqliteConsole } from "./console.ts";
import { SqliteContext } from "./context.ts";
import { sqliteDeliveryLog } from "./delivery-log.ts";
import { SqliteEndpointCredentials } from "./endpoint-credentials.ts";
import { SqliteEndpointHeaders } from "./endpoint-headers.ts";
import { sqliteEndpoints } from "./endpoints.ts";
import { SqliteEventTypes } from "./event-types.ts";
import { sqliteIngest } from "./ingest.ts";
import { InMemoryKeyChanges } from "./key-changes.ts";
import { migrateSqlite, openSqlite, sqlitePathFromUrl } from "./open-database.ts";
import { sqliteOperationalEvents } from "./operational-events.ts";
import { SqlitePortalSessions } from "./portal-sessions.ts";
import { SqlitePayloadFetches } from "./payload-fetches.ts";
import { sqliteQueue } from "./queue.ts";
import { sqliteRetention } from "./retention.ts";
import { sqliteStats } from "./stats.ts";
import { SqliteTasks } from "./task-queries.ts";
import { sqliteTenants } from "./tenants.ts";
import { sqliteOrdering } from "./ordering.ts";

export interface SqliteStore extends Store {
  readonly kind: "sqlite";
  /**
   * Tells this connection's subscribers that another connection to the same file committed new work (the delivery
   * thread's store hears of the API thread's ingests this way; SQLite itself has no notification).
   */
  notifyWork(): void;
  /** Tells this store's workers an endpoint of the tenant changed (another thread's write): see QueuePort. */
  notifyEndpointChanges(tenantId: string | null): void;
  /**
   * Gives back every endpoint any worker owns. Only for the embedded shape, where one process is the only deliverer:
   * a restarted process (or delivery thread) takes its crashed predecessor's endpoints over at once instead of
   * waiting for their ownership to run out.
   */
  forgetOwners(now: number): Promise<void>;
}

export const SqliteStore = {
  /** @example const store = SqliteStore.open("sqlite:./data/hookd.db") */
  open(url: string): SqliteStore {
    const ctx = new SqliteContext(openSqlite(sqlitePathFromUrl(url)));
    const tasks = new SqliteTasks(ctx);
    const eventTypes = new SqliteEventTypes(ctx.db, (text) => ctx.sql(text), (entry) => ctx.audit(entry));
    const endpointHeaders = new SqliteEndpointHeaders(ctx.db);
    const keyChanges = new InMemoryKeyChanges();
    const store: SqliteStore = {
      kind: "sqlite",
      portalSessions: new SqlitePortalSessions(ctx.db, (text) => ctx.sql(text)),
      consoleStats: new SqliteConsole((text) => ctx.sql(text)),
      payloadFetches: new SqlitePayloadFetches((text) => ctx.sql(text), (fn) => ctx.write(fn)),
      endpointCredentials: new SqliteEndpointCredentials(ctx.db),
      async migrate() {
        migrateSqlite(ctx.db);
      },
      async ping() {
        ctx.sql("SELECT 1").get();
      },
      async close() {
        ctx.work.removeAllListeners();
        if (ctx.db.open) ctx.db.close();
      },
      notifyWork: () => ctx.wake(),
      notifyEndpointChanges: (tenantId) => ctx.endpointsChanged(tenantId),
      async forgetOwners(now) {
        ctx.write(() =>
          ctx
            .sql("UPDATE endpoint_queue SET owner = NULL, owner_until = NULL, next_due_at = ? WHERE owner IS NOT NULL")
            .run(now),
        );
        ctx.wake();
      },
      ...sqliteApiKeys(ctx),
      ...sqliteTenants(ctx),
      ...sqliteEndpoints(ctx),
      listEndpointHeaders: (after, limit) => endpointHeaders.listEndpointHeaders(after, limit),
      replaceEndpointHeaders: (changes) => endpointHeaders.replaceEndpointHeaders(changes),
      announceKeyChange: (change) => keyChanges.announceKeyChange(change),
      onKeyChange: (listener) => keyChanges.onKeyChange(listener),
      insertEventType: async (t, audit) => eventTypes.insert(t, audit),
      getEventType: async (tenantId, name) => eventTypes.get(tenantId, name),
      listEventTypes: async (tenantId, includeArchived, page) => eventTypes.list(tenantId, includeArchived, page),
      listEventTypeSummaries: async (tenantId) => eventTypes.summaries(tenantId),
      updateEventType: async (tenantId, name, patch, now, audit) => eventTypes.update(tenantId, name, patch, now, audit),
      deleteEventType: async (tenantId, name, audit) => eventTypes.delete(tenantId, name, audit),
      ...sqliteIngest(ctx),
      ...sqliteQueue(ctx),
      ...sqliteDeliveryLog(ctx),
      ...sqliteOrdering(ctx),
      insertTask: async (task) => tasks.insert(task),
      getTask: async (tenantId, id) => tasks.get(tenantId, id),
      listTasks: async (tenantId, page) => tasks.list(tenantId, page),
      claimTask: async (claim) => tasks.claim(claim),
      runRecoverBatch: async (request) => tasks.runRecoverBatch(request),
      runDeletionStep: async (request) => tasks.runDeletionStep(request),
      releaseTask: async (id, leaseToken, now) => tasks.release(id, leaseToken, now),
      recordTaskFailure: async (id, leaseToken, now) => tasks.recordFailure(id, leaseToken, now),
      ...sqliteOperationalEvents(ctx),
      ...sqliteStats(ctx),
      ...sqliteRetention(ctx),
    };
    // The raw connection, hidden from the Store type: only crash tests reach for it, to impose engine-level limits.
    Object.defineProperty(store, "db", { value: ctx.db, enumerable: false });
    return store;
  },
};
