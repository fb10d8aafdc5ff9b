/** Retention (SQLite): small batches by age, and expunging one event's payload on request. */
import type { RetentionPort } from "../ports/retention.ts";
import { DELETE_STATS_SQL } from "./attempt-stats.ts";
import type { SqliteContext } from "./context.ts";
import { deliveryIdBefore, type RetentionCandidate, retainedDeliveryMayGo } from "../retention-rules.ts";

/** An expunged payload no longer counts against the tenant's stored-bytes quota (tenant_usage, migration 000041). */
function releaseStoredBytes(ctx: SqliteContext, tenantId: string, bytes: number): void {
  if (bytes > 0) ctx.sql("UPDATE tenant_usage SET stored_bytes = stored_bytes - ? WHERE tenant_id = ? AND slot = 0").run(bytes, tenantId);
}

export function sqliteRetention(ctx: SqliteContext): RetentionPort {
  return {
    async deleteAttemptStatsBefore(before, limit) {
      return ctx.sql(DELETE_STATS_SQL).run(before, limit).changes;
    },

    async deleteFinishedTasksBefore(before, limit) {
      return ctx
        .sql(
          `DELETE FROM tasks WHERE id IN (
             SELECT id FROM tasks WHERE status IN ('succeeded', 'failed') AND finished_at < ? ORDER BY finished_at LIMIT ?)`,
        )
        .run(before, limit).changes;
    },

    async expungeEventPayload(tenantId, eventId, now) {
      return ctx.write(() => {
        const kept = ctx
          .sql("SELECT length(CAST(data AS BLOB)) AS bytes FROM events WHERE tenant_id = ? AND id = ? AND payload_expunged_at IS NULL")
          .get(tenantId, eventId) as { bytes: number } | undefined;
        const { changes } = ctx
          .sql("UPDATE events SET data = '', payload_expunged_at = coalesce(payload_expunged_at, ?) WHERE tenant_id = ? AND id = ?")
          .run(now, tenantId, eventId);
        if (changes === 0) return false;
        if (kept) releaseStoredBytes(ctx, tenantId, kept.bytes);
        // Waiting deliveries die: there is nothing left to send. One in a worker's hands right now keeps this state,
        // because an outcome only applies to a delivery still waiting.
        const waiting = ctx
          .sql(
            `UPDATE deliveries SET status = 'dead', last_error = 'payload expunged', updated_at = ?
             WHERE tenant_id = ? AND event_id = ? AND status IN ('pending', 'failed')
             RETURNING id, endpoint_id, retry_queued, next_attempt_at`,
          )
          .all(now, tenantId, eventId) as { id: string; endpoint_id: string; retry_queued: number; next_attempt_at: number | null }[];
        for (const d of waiting) {
          ctx
            .sql("INSERT INTO dead_letters (tenant_id, delivery_id, endpoint_id, died_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING")
            .run(tenantId, d.id, d.endpoint_id, now);
          if (d.retry_queued) {
            ctx
              .sql("DELETE FROM delivery_jobs WHERE endpoint_id = ? AND run_at = ? AND delivery_id = ?")
              .run(d.endpoint_id, d.next_attempt_at, d.id);
          }
        }
        ctx
          .sql("UPDATE deliveries SET next_attempt_at = NULL WHERE tenant_id = ? AND event_id = ? AND status = 'dead'")
          .run(tenantId, eventId);
        return true;
      });
    },

    async expungePayloadsBefore(before, limit, now) {
      return ctx.write(() => {
        const rows = ctx
          .sql(
            `SELECT e.rowid AS r, e.tenant_id, length(CAST(e.data AS BLOB)) AS bytes FROM events e
             WHERE e.created_at < @before AND e.payload_expunged_at IS NULL
               AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.tenant_id = e.tenant_id AND d.event_id = e.id
                 AND d.status IN ('pending', 'failed'))
             ORDER BY e.created_at LIMIT @limit`,
          )
          .all({ before, limit }) as { r: number; tenant_id: string; bytes: number }[];
        const expunge = ctx.sql("UPDATE events SET data = '', payload_expunged_at = ? WHERE rowid = ?");
        const freed = new Map<string, number>();
        for (const row of rows) {
          expunge.run(now, row.r);
          freed.set(row.tenant_id, (freed.get(row.tenant_id) ?? 0) + row.bytes);
        }
        for (const [tenantId, bytes] of freed) releaseStoredBytes(ctx, tenantId, bytes);
        return rows.length;
      });
    },

    async deleteAttemptsBefore(before, limit) {
      return ctx
        .sql("DELETE FROM attempts WHERE rowid IN (SELECT rowid FROM attempts WHERE started_at < ? ORDER BY started_at LIMIT ?)")
        .run(before, limit).changes;
    },

    async deleteIdempotencyKeysBefore(before, limit) {
      return ctx
        .sql(
          `DELETE FROM idempotency_keys WHERE rowid IN (
             SELECT rowid FROM idempotency_keys WHERE created_at < ? ORDER BY created_at LIMIT ?)`,
        )
        .run(before, limit).changes;
    },

    async clearResponseBodies(from, before, limit) {
      return ctx.write(() => {
        const rows = ctx
          .sql("SELECT rowid AS r, started_at FROM attempts WHERE started_at >= ? AND started_at < ? ORDER BY started_at LIMIT ?")
          .all(from, before, limit) as { r: number; started_at: number }[];
        const clear = ctx.sql("UPDATE attempts SET response_body = NULL WHERE rowid = ? AND response_body IS NOT NULL");
        for (const r of rows) clear.run(r.r);
        return { scanned: rows.length, lastStartedAt: rows.at(-1)?.started_at ?? null };
      });
    },

    async deleteFinishedDeliveries(tenantId, before, after, limit) {
      return ctx.write(() => {
        const batch = ctx
          .sql(
            `SELECT d.id, d.endpoint_id, d.seq, d.status, d.created_at, s.acked_seq
             FROM deliveries d LEFT JOIN endpoint_stream s ON s.endpoint_id = d.endpoint_id
             WHERE d.tenant_id = ? AND d.id > ? AND d.id < ? ORDER BY d.id LIMIT ?`,
          )
          .all(tenantId, after, deliveryIdBefore(before), limit) as RetentionCandidate[];
        const attempts = ctx.sql("DELETE FROM attempts WHERE delivery_id = ?");
        const letters = ctx.sql("DELETE FROM dead_letters WHERE tenant_id = ? AND delivery_id = ?");
        const delivery = ctx.sql("DELETE FROM deliveries WHERE tenant_id = ? AND id = ?");
        let deleted = 0;
        for (const d of batch) {
          if (!retainedDeliveryMayGo(d, before)) continue;
          attempts.run(d.id);
          if (d.status === "dead") letters.run(tenantId, d.id);
          delivery.run(tenantId, d.id);
          deleted++;
        }
        return { scanned: batch.length, deleted, lastId: batch.at(-1)?.id ?? null };
      });
    },

    async deleteEventsWithoutDeliveries(tenantId, before, after, limit) {
      return ctx.write(() => {
        const batch = ctx
          .sql(
            `SELECT e.id, e.created_at,
               CASE WHEN e.payload_expunged_at IS NULL THEN length(CAST(e.data AS BLOB)) ELSE 0 END AS bytes,
               EXISTS (SELECT 1 FROM deliveries d WHERE d.tenant_id = e.tenant_id AND d.event_id = e.id) AS kept
             FROM events e
             WHERE e.tenant_id = ? AND e.created_at < ? AND (e.created_at, e.id) > (?, ?)
             ORDER BY e.created_at, e.id LIMIT ?`,
          )
          .all(tenantId, before, after?.createdAt ?? -1, after?.id ?? "", limit) as { id: string; created_at: number; bytes: number; kept: number }[];
        const remove = ctx.sql("DELETE FROM events WHERE tenant_id = ? AND id = ?");
        let deleted = 0;
        let freed = 0;
        for (const e of batch) {
          if (e.kept) continue;
          remove.run(tenantId, e.id);
          deleted++;
          freed += e.bytes;
        }
        // A payload deleted with its event (not expunged first) leaves the tenant's stored-bytes count too.
        releaseStoredBytes(ctx, tenantId, freed);
        const last = batch.at(-1);
        return { scanned: batch.length, deleted, last: last ? { createdAt: last.created_at, id: last.id } : null };
      });
    },
  };
}
