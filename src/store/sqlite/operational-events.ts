/** Operational events (SQLite): recorded with the change that caused them, forwarded to the operator tenant. */
import { OPERATOR_TENANT_ID, type OperationalEvent } from "../../domain/operational-events.ts";
import { planOperatorForwarding } from "../plan/operator-forwarding.ts";
import { toPage } from "../paging.ts";
import { type OperationalEventRow, operationalEventValues, toOperationalEvent } from "../rows.ts";
import type { OperationalEventsPort } from "../ports/operational-events.ts";
import type { SqliteContext } from "./context.ts";
import { enqueueDeliveries, subscriptionsOf } from "./enqueue.ts";

/**
 * Writes operational events and forwards the ones that go to the operator webhook as events of the operator tenant.
 * Must run inside the caller's transaction; returns whether that gave an unowned endpoint work (the caller wakes the
 * workers after COMMIT).
 */
export function insertOperationalEvents(ctx: SqliteContext, ops: readonly OperationalEvent[]): boolean {
  if (ops.length === 0) return false;
  const insert = ctx.sql(
    `INSERT INTO operational_events (id, type, tenant_id, endpoint_id, delivery_id, event_id, data, created_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  for (const op of ops) insert.run(...operationalEventValues(op));
  const { events, deliveries } = planOperatorForwarding(ops, subscriptionsOf(ctx, OPERATOR_TENANT_ID));
  if (events.length === 0) return false;
  const insertEvent = ctx.sql("INSERT INTO events (tenant_id, id, type, data, created_at) VALUES (?, ?, ?, ?, ?)");
  for (const e of events) insertEvent.run(OPERATOR_TENANT_ID, e.id, e.type, e.dataJson, e.createdAt);
  const now = Math.max(...events.map((e) => e.createdAt));
  return enqueueDeliveries(ctx, OPERATOR_TENANT_ID, deliveries, now).wake;
}

export function sqliteOperationalEvents(ctx: SqliteContext): OperationalEventsPort {
  return {
    async recordOperationalEvent(event) {
      if (ctx.write(() => insertOperationalEvents(ctx, [event]))) ctx.wake();
    },

    async listOperationalEvents(filter, page) {
      const where: string[] = [];
      const params: unknown[] = [];
      if (filter.tenantId !== undefined) {
        where.push("tenant_id = ?");
        params.push(filter.tenantId);
      }
      if (filter.types && filter.types.length > 0) {
        where.push(`type IN (${filter.types.map(() => "?").join(", ")})`);
        params.push(...filter.types);
      }
      if (page.after) {
        where.push("id < ?");
        params.push(page.after);
      }
      params.push(page.limit + 1);
      const clause = where.length > 0 ? `WHERE ${where.join(" AND ")}` : "";
      const rows = ctx
        .sql(`SELECT * FROM operational_events ${clause} ORDER BY id DESC LIMIT ?`)
        .all(...params) as OperationalEventRow[];
      return toPage(rows.map(toOperationalEvent), page.limit);
    },
  };
}
