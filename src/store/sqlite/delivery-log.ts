/** The delivery log (SQLite): search, one delivery with its attempts, and replays. */
import type { Attempt, Delivery } from "../../domain/types.ts";
import { deliverySearchSql } from "../delivery-search.ts";
import { toPage } from "../paging.ts";
import { type AttemptRow, type DeliveryRow, toAttempt, toDelivery } from "../rows.ts";
import type { DeliveryLogPort, ReplayResult } from "../ports/delivery-log.ts";
import type { SqliteContext } from "./context.ts";
import { REQUEUE_COLUMNS, type RequeueRow, requeue } from "./requeue.ts";

export function sqliteDeliveryLog(ctx: SqliteContext): DeliveryLogPort {
  return {
    async listDeliveries(tenantId, filter, page) {
      const { text, values } = deliverySearchSql(tenantId, filter, page);
      const rows = ctx.db.prepare(text).all(...values) as DeliveryRow[];
      return toPage(rows.map(toDelivery), page.limit);
    },

    async getDelivery(tenantId, id): Promise<Delivery | null> {
      const row = ctx
        .sql(
          // A deleted endpoint's deliveries are hidden until its deletion task has removed them.
          "SELECT * FROM deliveries d WHERE tenant_id = ? AND id = ? AND EXISTS (SELECT 1 FROM endpoints ep WHERE ep.id = d.endpoint_id)",
        )
        .get(tenantId, id) as DeliveryRow | undefined;
      return row ? toDelivery(row) : null;
    },

    async listAttempts(deliveryId): Promise<Attempt[]> {
      const rows = ctx.sql("SELECT * FROM attempts WHERE delivery_id = ? ORDER BY attempt").all(deliveryId) as AttemptRow[];
      return rows.map(toAttempt);
    },

    async replayDelivery(tenantId, id, now) {
      const { result, wake } = ctx.write((): { result: ReplayResult; wake: boolean } => {
        const row = ctx
          .sql(
            `SELECT ${REQUEUE_COLUMNS} FROM deliveries d JOIN events e ON e.tenant_id = d.tenant_id AND e.id = d.event_id
             WHERE d.tenant_id = ? AND d.id = ?`,
          )
          .get(tenantId, id) as RequeueRow | undefined;
        if (!row) return { result: "not_found", wake: false };
        return requeue(ctx, row, now);
      });
      if (wake) ctx.wake();
      return result;
    },

    async replayEndpoint(tenantId, endpointId, status, since, now) {
      const source =
        status === "dead"
          ? "SELECT delivery_id FROM dead_letters WHERE endpoint_id = @endpointId"
          : "SELECT delivery_id FROM delivery_jobs WHERE endpoint_id = @endpointId";
      const { count, wake } = ctx.write(() => {
        const rows = ctx
          .sql(
            `SELECT ${REQUEUE_COLUMNS} FROM deliveries d JOIN events e ON e.tenant_id = d.tenant_id AND e.id = d.event_id
             WHERE d.tenant_id = @tenantId AND d.endpoint_id = @endpointId AND d.status = @status
               AND d.created_at >= @since AND d.id IN (${source})`,
          )
          .all({ tenantId, endpointId, status, since: since ?? 0 }) as RequeueRow[];
        let count = 0;
        let wake = false;
        for (const row of rows) {
          const r = requeue(ctx, row, now);
          if (r.result === "replayed") count++;
          wake ||= r.wake;
        }
        return { count, wake };
      });
      if (wake) ctx.wake();
      return count;
    },
  };
}
