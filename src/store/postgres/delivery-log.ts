/** The delivery log (PostgreSQL): search, one delivery with its attempts, and replays. */
import { postgresSearchSql } from "../delivery-search.ts";
import { toPage } from "../paging.ts";
import { type AttemptRow, type DeliveryRow, toAttempt, toDelivery } from "../rows.ts";
import type { DeliveryLogPort } from "../ports/delivery-log.ts";
import type { PostgresContext } from "./context.ts";
import { inTransaction } from "./pool.ts";
import { REQUEUE_COLUMNS, type RequeueRow, requeueAll } from "./requeue.ts";

export function postgresDeliveryLog(ctx: PostgresContext): DeliveryLogPort {
  const pool = ctx.pool;
  return {
    async listDeliveries(tenantId, filter, page) {
      const { text, values } = postgresSearchSql(tenantId, filter, page);
      const { rows } = await pool.query<DeliveryRow>(text, values);
      return toPage(rows.map(toDelivery), page.limit);
    },

    async getDelivery(tenantId, id) {
      const { rows } = await pool.query<DeliveryRow>(
        // A deleted endpoint's deliveries are hidden until its deletion task has removed them.
        "SELECT * FROM deliveries d WHERE tenant_id = $1 AND id = $2 AND EXISTS (SELECT 1 FROM endpoints ep WHERE ep.id = d.endpoint_id)",
        [tenantId, id],
      );
      return rows[0] ? toDelivery(rows[0]) : null;
    },

    async listAttempts(deliveryId) {
      const { rows } = await pool.query<AttemptRow>("SELECT * FROM attempts WHERE delivery_id = $1 ORDER BY attempt", [deliveryId]);
      return rows.map(toAttempt);
    },

    async replayDelivery(tenantId, id, now) {
      return inTransaction(pool, async (client) => {
        const { rows } = await client.query<RequeueRow>(
          `SELECT ${REQUEUE_COLUMNS} FROM deliveries d JOIN events e ON e.tenant_id = d.tenant_id AND e.id = d.event_id
           WHERE d.tenant_id = $1 AND d.id = $2 FOR UPDATE OF d`,
          [tenantId, id],
        );
        if (!rows[0]) return "not_found";
        const [result] = await requeueAll(client, rows, now);
        return result ?? "not_found";
      });
    },

    async replayEndpoint(tenantId, endpointId, status, since, now) {
      const source =
        status === "dead"
          ? "SELECT delivery_id FROM dead_letters WHERE endpoint_id = $2"
          : "SELECT delivery_id FROM delivery_jobs WHERE endpoint_id = $2";
      return inTransaction(pool, async (client) => {
        const { rows } = await client.query<RequeueRow>(
          `SELECT ${REQUEUE_COLUMNS} FROM deliveries d JOIN events e ON e.tenant_id = d.tenant_id AND e.id = d.event_id
           WHERE d.tenant_id = $1 AND d.endpoint_id = $2 AND d.status = $3 AND d.created_at >= $4
             AND d.id IN (${source})
           ORDER BY d.id FOR UPDATE OF d SKIP LOCKED`,
          [tenantId, endpointId, status, since ?? 0],
        );
        const results = await requeueAll(client, rows, now);
        return results.filter((r) => r === "replayed").length;
      });
    },
  };
}
