/** Operational events (PostgreSQL): recorded with the change that caused them, forwarded to the operator tenant. */
import type pg from "pg";
import { OPERATOR_TENANT_ID, type OperationalEvent } from "../../domain/operational-events.ts";
import { planOperatorForwarding } from "../plan/operator-forwarding.ts";
import { toPage } from "../paging.ts";
import { type OperationalEventRow, operationalEventValues, toOperationalEvent } from "../rows.ts";
import type { OperationalEventsPort } from "../ports/operational-events.ts";
import type { PostgresContext } from "./context.ts";
import { enqueue, subscriptionsOf } from "./enqueue.ts";
import { inTransaction } from "./pool.ts";

/**
 * Writes operational events and forwards the ones that go to the operator webhook as events of the operator tenant,
 * inside the caller's transaction (the NOTIFY that wakes the workers is delivered at COMMIT).
 */
export async function insertOperationalEvents(ctx: PostgresContext, client: pg.PoolClient, ops: readonly OperationalEvent[]): Promise<void> {
  if (ops.length === 0) return;
  for (const op of ops) {
    await client.query(
      `INSERT INTO operational_events (id, type, tenant_id, endpoint_id, delivery_id, event_id, data, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8)`,
      operationalEventValues(op),
    );
  }
  const { events, deliveries } = planOperatorForwarding(ops, await subscriptionsOf(ctx, client, OPERATOR_TENANT_ID));
  if (events.length === 0) return;
  await enqueue(client, {
    tenants: [OPERATOR_TENANT_ID],
    events: events.map((event) => ({ tenantId: OPERATOR_TENANT_ID, event })),
    deliveries: deliveries.map((d) => ({ tenantId: OPERATOR_TENANT_ID, d })),
    // hookd's own operator tenant is not metered: no quota applies to it.
    storedBytes: [],
    now: Math.max(...events.map((e) => e.createdAt)),
  });
}

export function postgresOperationalEvents(ctx: PostgresContext): OperationalEventsPort {
  return {
    async recordOperationalEvent(event) {
      await inTransaction(ctx.pool, (client) => insertOperationalEvents(ctx, client, [event]));
    },

    async listOperationalEvents(filter, page) {
      const where: string[] = [];
      const params: unknown[] = [];
      const add = (clause: string, value: unknown) => {
        params.push(value);
        where.push(clause.replace("?", `$${params.length}`));
      };
      if (filter.tenantId !== undefined) add("tenant_id = ?", filter.tenantId);
      if (filter.types && filter.types.length > 0) add("type = ANY(?::text[])", filter.types);
      if (page.after) add("id < ?", page.after);
      params.push(page.limit + 1);
      const clause = where.length > 0 ? `WHERE ${where.join(" AND ")}` : "";
      const { rows } = await ctx.pool.query<OperationalEventRow>(
        `SELECT * FROM operational_events ${clause} ORDER BY id DESC LIMIT $${params.length}`,
        params,
      );
      return toPage(rows.map(toOperationalEvent), page.limit);
    },
  };
}
