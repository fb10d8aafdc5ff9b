/** Halted FIFO keys on SQLite (ports/ordering.ts): list them, and release one in a single write transaction. */
import type { HaltedKey, OrderingPort } from "../ports/ordering.ts";
import type { SqliteContext } from "./context.ts";
import { releaseNextParked } from "./queue.ts";
import { REQUEUE_COLUMNS, type RequeueRow, requeue } from "./requeue.ts";

interface HaltRow {
  endpoint_id: string;
  ordering_key: string;
  delivery_id: string;
  halted_at: number;
}

export function sqliteOrdering(ctx: SqliteContext): OrderingPort {
  return {
    async listHaltedKeys(tenantId, endpointId): Promise<HaltedKey[]> {
      const rows = ctx
        .sql("SELECT * FROM ordering_halts WHERE tenant_id = ? AND endpoint_id = ? ORDER BY halted_at, ordering_key")
        .all(tenantId, endpointId) as HaltRow[];
      return rows.map((r) => ({ endpointId: r.endpoint_id, orderingKey: r.ordering_key, deliveryId: r.delivery_id, haltedAt: r.halted_at }));
    },

    async releaseHaltedKey(tenantId, endpointId, key, action, now) {
      const { result, wake } = ctx.write(() => {
        const halt = ctx
          .sql("DELETE FROM ordering_halts WHERE tenant_id = ? AND endpoint_id = ? AND ordering_key = ? RETURNING delivery_id")
          .get(tenantId, endpointId, key) as { delivery_id: string } | undefined;
        if (!halt) return { result: "not_halted" as const, wake: false };
        if (action === "replay") {
          const row = ctx
            .sql(
              `SELECT ${REQUEUE_COLUMNS} FROM deliveries d JOIN events e ON e.tenant_id = d.tenant_id AND e.id = d.event_id
               WHERE d.tenant_id = ? AND d.id = ?`,
            )
            .get(tenantId, halt.delivery_id) as RequeueRow | undefined;
          if (row && requeue(ctx, row, now).result === "replayed") {
            // The replay is the head of its line: its job carries the key, so what arrives meanwhile waits behind it.
            ctx
              .sql(
                `UPDATE delivery_jobs SET ordering_key = ?, seq = (SELECT seq FROM deliveries WHERE tenant_id = ? AND id = ?)
                 WHERE endpoint_id = ? AND delivery_id = ?`,
              )
              .run(key, tenantId, halt.delivery_id, endpointId, halt.delivery_id);
            return { result: "released" as const, wake: true };
          }
        }
        releaseNextParked(ctx, endpointId, key, now);
        const due = ctx
          .sql(
            `UPDATE endpoint_queue SET next_due_at = @now
             WHERE endpoint_id = @id AND owner IS NULL AND disabled = 0 AND (next_due_at IS NULL OR next_due_at > @now)`,
          )
          .run({ now, id: endpointId }).changes;
        return { result: "released" as const, wake: due > 0 };
      });
      if (wake) ctx.wake();
      return result;
    },
  };
}
