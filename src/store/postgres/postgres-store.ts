/**
 * The scale-out store: any number of hookd processes share one PostgreSQL. Assembled from one file per port (the
 * same names as the SQLite adapter's), sharing one PostgresContext: the pool, the LISTEN connection, the subscription
 * cache and this process's stats shard.
 */
import type { Store } from "../store.ts";
import { postgresApiKeys } from "./api-keys.ts";
import { PostgresConsole } from "./console.ts";
import { PostgresContext, type PostgresStoreOptions } from "./context.ts";
import { postgresDeliveryLog } from "./delivery-log.ts";
import { PostgresEndpointCredentials } from "./endpoint-credentials.ts";
import { PostgresEndpointHeaders } from "./endpoint-headers.ts";
import { postgresEndpoints } from "./endpoints.ts";
import { PostgresEventTypes } from "./event-types.ts";
import { postgresIngest } from "./ingest.ts";
import { PostgresKeyChanges } from "./key-changes.ts";
import { migratePostgres } from "./migrate.ts";
import { postgresOperationalEvents } from "./operational-events.ts";
import { PostgresPayloadFetches } from "./payload-fetches.ts";
import { PostgresPortalSessions } from "./portal-sessions.ts";
import { postgresQueue } from "./queue.ts";
import { postgresRetention } from "./retention.ts";
import { postgresStats } from "./stats.ts";
import { PostgresTasks } from "./task-queries.ts";
import { postgresTenants } from "./tenants.ts";
import { postgresOrdering } from "./ordering.ts";

export type { PostgresStoreOptions };

export interface PostgresStore extends Store {
  readonly kind: "postgres";
}

/** @example const store = openPostgresStore({ url: "postgres://...", poolSize: 10, onError: console.error }) */
export function openPostgresStore(options: PostgresStoreOptions): PostgresStore {
  const ctx = new PostgresContext(options);
  const tasks = new PostgresTasks(ctx.pool);
  const eventTypes = new PostgresEventTypes(ctx.pool, (client, entry) => ctx.audit(client, entry));
  const endpointHeaders = new PostgresEndpointHeaders(ctx.pool);
  const keyChanges = new PostgresKeyChanges(ctx.pool, options.url, options.onError);
  return {
    kind: "postgres",
    portalSessions: new PostgresPortalSessions(ctx.pool),
    consoleStats: new PostgresConsole(ctx.pool),
    payloadFetches: new PostgresPayloadFetches(ctx.pool),
    endpointCredentials: new PostgresEndpointCredentials(ctx.pool),
    migrate: () => migratePostgres(ctx.pool),
    async ping() {
      await ctx.pool.query("SELECT 1");
    },
    async close() {
      await keyChanges.close();
      await ctx.close();
    },
    ...postgresApiKeys(ctx),
    ...postgresTenants(ctx),
    ...postgresEndpoints(ctx),
    listEndpointHeaders: (after, limit) => endpointHeaders.listEndpointHeaders(after, limit),
    replaceEndpointHeaders: (changes) => endpointHeaders.replaceEndpointHeaders(changes),
    announceKeyChange: (change) => keyChanges.announceKeyChange(change),
    onKeyChange: (listener) => keyChanges.onKeyChange(listener),
    insertEventType: (t, audit) => eventTypes.insert(t, audit),
    getEventType: (tenantId, name) => eventTypes.get(tenantId, name),
    listEventTypes: (tenantId, includeArchived, page) => eventTypes.list(tenantId, includeArchived, page),
    listEventTypeSummaries: (tenantId) => eventTypes.summaries(tenantId),
    updateEventType: (tenantId, name, patch, now, audit) => eventTypes.update(tenantId, name, patch, now, audit),
    deleteEventType: (tenantId, name, audit) => eventTypes.delete(tenantId, name, audit),
    ...postgresIngest(ctx),
    ...postgresQueue(ctx),
    ...postgresDeliveryLog(ctx),
    ...postgresOrdering(ctx),
    insertTask: (task) => tasks.insert(task),
    getTask: (tenantId, id) => tasks.get(tenantId, id),
    listTasks: (tenantId, page) => tasks.list(tenantId, page),
    claimTask: (claim) => tasks.claim(claim),
    runRecoverBatch: (request) => tasks.runRecoverBatch(request),
    runDeletionStep: (request) => tasks.runDeletionStep(request),
    releaseTask: (id, leaseToken, now) => tasks.release(id, leaseToken, now),
    recordTaskFailure: (id, leaseToken, now) => tasks.recordFailure(id, leaseToken, now),
    ...postgresOperationalEvents(ctx),
    ...postgresStats(ctx),
    ...postgresRetention(ctx),
  };
}
