/** Halted FIFO keys on PostgreSQL (ports/ordering.ts): list them, and release one in a single transaction. */
import type { HaltedKey, OrderingPort } from "../ports/ordering.ts";
import type { PostgresContext } from "./context.ts";
import { inTransaction } from "./pool.ts";
import { REQUEUE_COLUMNS, type RequeueRow, requeueAll } from "./requeue.ts";
import { WORK_CHANNEL } from "./work-listener.ts";

interface HaltRow {
  endpoint_id: string;
  ordering_key: string;
  delivery_id: string;
  halted_at: number;
}

/** A parked job's run_at (domain/ordering.ts PARKED_RUN_AT). */
const PARKED = "8640000000000000";

export function postgresOrdering(ctx: PostgresContext): OrderingPort {
  return {
    async listHaltedKeys(tenantId, endpointId): Promise<HaltedKey[]> {
      const { rows } = await ctx.pool.query<HaltRow>(
        "SELECT * FROM ordering_halts WHERE tenant_id = $1 AND endpoint_id = $2 ORDER BY halted_at, ordering_key",
        [tenantId, endpointId],
      );
      return rows.map((r) => ({ endpointId: r.endpoint_id, orderingKey: r.ordering_key, deliveryId: r.delivery_id, haltedAt: Number(r.halted_at) }));
    },

    async releaseHaltedKey(tenantId, endpointId, key, action, now) {
      return inTransaction(ctx.pool, async (client) => {
        // Lock order as in a cycle: the delivery row, then the halt, then the scheduler row.
        const { rows } = await client.query<{ delivery_id: string }>(
          "SELECT delivery_id FROM ordering_halts WHERE tenant_id = $1 AND endpoint_id = $2 AND ordering_key = $3",
          [tenantId, endpointId, key],
        );
        const halt = rows[0];
        if (!halt) return "not_halted";
        const { rows: dead } = await client.query<RequeueRow>(
          `SELECT ${REQUEUE_COLUMNS} FROM deliveries d JOIN events e ON e.tenant_id = d.tenant_id AND e.id = d.event_id
           WHERE d.tenant_id = $1 AND d.id = $2 FOR UPDATE OF d`,
          [tenantId, halt.delivery_id],
        );
        const deleted = await client.query(
          "DELETE FROM ordering_halts WHERE tenant_id = $1 AND endpoint_id = $2 AND ordering_key = $3 AND delivery_id = $4",
          [tenantId, endpointId, key, halt.delivery_id],
        );
        if (deleted.rowCount !== 1) return "not_halted";
        // Before the jobs change: an owner releasing the endpoint meanwhile waits, then sees them (requeue.ts).
        await client.query("SELECT 1 FROM endpoint_queue WHERE endpoint_id = $1 FOR NO KEY UPDATE", [endpointId]);
        if (action === "replay") {
          const [result] = dead.length > 0 ? await requeueAll(client, dead, now) : [];
          if (result === "replayed") {
            // The replay is the head of its line: its job carries the key, so what arrives meanwhile waits behind it.
            await client.query(
              `UPDATE delivery_jobs j SET ordering_key = $3, seq = d.seq FROM deliveries d
               WHERE j.endpoint_id = $1 AND j.delivery_id = $2 AND d.tenant_id = j.tenant_id AND d.id = j.delivery_id`,
              [endpointId, halt.delivery_id, key],
            );
            return "released";
          }
        }
        // The key's lowest parked delivery goes next, unless the key still has a waiting job.
        await client.query(
          `UPDATE delivery_jobs j SET run_at = $3 FROM (
             SELECT endpoint_id, run_at, delivery_id FROM delivery_jobs
             WHERE endpoint_id = $1 AND ordering_key = $2 AND run_at = ${PARKED} ORDER BY seq LIMIT 1) n
           WHERE j.endpoint_id = n.endpoint_id AND j.run_at = n.run_at AND j.delivery_id = n.delivery_id
             AND NOT EXISTS (SELECT 1 FROM delivery_jobs w WHERE w.endpoint_id = $1 AND w.ordering_key = $2 AND w.run_at < ${PARKED})`,
          [endpointId, key, now],
        );
        const { rowCount } = await client.query(
          `UPDATE endpoint_queue SET next_due_at = $2
           WHERE endpoint_id = $1 AND owner IS NULL AND NOT disabled AND (next_due_at IS NULL OR next_due_at > $2)`,
          [endpointId, now],
        );
        if (rowCount) await client.query("SELECT pg_notify($1, '')", [WORK_CHANNEL]);
        return "released";
      });
    },
  };
}
