/** Retention (PostgreSQL): small batches by age, and expunging one event's payload on request. */
import type { RetentionPort } from "../ports/retention.ts";
import { DELETE_STATS_SQL } from "./attempt-stats.ts";
import type { PostgresContext } from "./context.ts";
import { inTransaction } from "./pool.ts";
import { deliveryIdBefore } from "../retention-rules.ts";

/**
 * Takes the `old` rows' bytes off their tenants' stored-bytes counts, in slot 0 (readers sum the slots, so any slot
 * will do). Tenants in id order, so two expunges never deadlock on these rows.
 */
const RELEASE_USAGE = `INSERT INTO tenant_usage (tenant_id, slot, stored_bytes)
             SELECT tenant_id, 0, -sum(bytes) FROM old GROUP BY tenant_id HAVING sum(bytes) > 0 ORDER BY tenant_id
             ON CONFLICT (tenant_id, slot) DO UPDATE SET stored_bytes = tenant_usage.stored_bytes + excluded.stored_bytes`;

export function postgresRetention(ctx: PostgresContext): RetentionPort {
  const pool = ctx.pool;
  return {
    async deleteAttemptStatsBefore(before, limit) {
      const { rowCount } = await pool.query(DELETE_STATS_SQL, [before, limit]);
      return rowCount ?? 0;
    },

    async deleteFinishedTasksBefore(before, limit) {
      const { rowCount } = await pool.query(
        `DELETE FROM tasks WHERE id IN (
           SELECT id FROM tasks WHERE status IN ('succeeded', 'failed') AND finished_at < $1 ORDER BY finished_at LIMIT $2)`,
        [before, limit],
      );
      return rowCount ?? 0;
    },

    async expungeEventPayload(tenantId, eventId, now) {
      return inTransaction(pool, async (client) => {
        // The bytes it frees leave the tenant's stored-bytes count (tenant_usage, migration 000041).
        const { rowCount } = await client.query(
          `WITH old AS (
             SELECT tenant_id, id, CASE WHEN payload_expunged_at IS NULL THEN octet_length(data) ELSE 0 END AS bytes
             FROM events WHERE tenant_id = $1 AND id = $2 FOR UPDATE
           ), usage AS (
             ${RELEASE_USAGE}
           )
           UPDATE events e SET data = '', payload_expunged_at = coalesce(e.payload_expunged_at, $3)
           FROM old WHERE e.tenant_id = old.tenant_id AND e.id = old.id`,
          [tenantId, eventId, now],
        );
        if (rowCount === 0) return false;
        // Waiting deliveries die: there is nothing left to send. One in a worker's hands right now keeps this state,
        // because an outcome only applies to a delivery still waiting.
        await client.query(
          `WITH dead AS (
             UPDATE deliveries d SET status = 'dead', last_error = 'payload expunged', updated_at = $3,
               next_attempt_at = NULL
             FROM deliveries old
             WHERE d.tenant_id = $1 AND d.event_id = $2 AND d.status IN ('pending', 'failed')
               AND old.tenant_id = d.tenant_id AND old.id = d.id
             RETURNING d.id, d.endpoint_id, old.retry_queued, old.next_attempt_at
           ), letters AS (
             INSERT INTO dead_letters (tenant_id, delivery_id, endpoint_id, died_at)
             SELECT $1, id, endpoint_id, $3 FROM dead ON CONFLICT DO NOTHING
           )
           DELETE FROM delivery_jobs j USING dead
           WHERE dead.retry_queued AND j.endpoint_id = dead.endpoint_id AND j.run_at = dead.next_attempt_at
             AND j.delivery_id = dead.id`,
          [tenantId, eventId, now],
        );
        return true;
      });
    },

    async expungePayloadsBefore(before, limit, now) {
      // The bytes it frees leave the tenants' stored-bytes counts (tenant_usage, migration 000041); octet_length
      // reads a TOASTed value's size without decompressing it.
      const { rowCount } = await pool.query(
        `WITH old AS (
           SELECT e.tenant_id, e.id, octet_length(e.data) AS bytes FROM events e
           WHERE e.created_at < $1 AND e.payload_expunged_at IS NULL
             AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.tenant_id = e.tenant_id AND d.event_id = e.id
               AND d.status IN ('pending', 'failed'))
           ORDER BY e.created_at LIMIT $2 FOR UPDATE SKIP LOCKED
         ), usage AS (
           ${RELEASE_USAGE}
         )
         UPDATE events e SET data = '', payload_expunged_at = $3
         FROM old WHERE e.tenant_id = old.tenant_id AND e.id = old.id`,
        [before, limit, now],
      );
      return rowCount ?? 0;
    },

    async deleteAttemptsBefore(before, limit) {
      // Any old rows will do, so no order: the BRIN index on started_at finds the old ranges without a sort.
      const { rowCount } = await pool.query(
        `DELETE FROM attempts WHERE ctid = ANY (ARRAY(
           SELECT ctid FROM attempts WHERE started_at < $1 LIMIT $2 FOR UPDATE SKIP LOCKED))`,
        [before, limit],
      );
      return rowCount ?? 0;
    },

    async deleteIdempotencyKeysBefore(before, limit) {
      const { rowCount } = await pool.query(
        `DELETE FROM idempotency_keys WHERE (tenant_id, key) IN (
           SELECT tenant_id, key FROM idempotency_keys WHERE created_at < $1 ORDER BY created_at LIMIT $2
           FOR UPDATE SKIP LOCKED)`,
        [before, limit],
      );
      return rowCount ?? 0;
    },

    async clearResponseBodies(from, before, limit) {
      const { rows } = await pool.query<{ started_at: number }>(
        `WITH batch AS (
           SELECT ctid AS row_id, started_at FROM attempts WHERE started_at >= $1 AND started_at < $2
           ORDER BY started_at LIMIT $3 FOR UPDATE SKIP LOCKED
         ), cleared AS (
           UPDATE attempts a SET response_body = NULL FROM batch b WHERE a.ctid = b.row_id AND a.response_body IS NOT NULL
         )
         SELECT started_at FROM batch ORDER BY started_at`,
        [from, before, limit],
      );
      return { scanned: rows.length, lastStartedAt: rows.at(-1)?.started_at ?? null };
    },

    async deleteFinishedDeliveries(tenantId, before, after, limit) {
      // The batch is read and its deletable rows locked in one statement; the delete re-checks each row's state
      // after any wait for a concurrent record or replay, so only a row still finished and passed goes. acked_seq
      // only grows, so a stale read of it can only keep a row one pass longer.
      const { rows } = await pool.query<{ scanned: number; deleted: number; last_id: string | null }>(
        `WITH batch AS (
           SELECT id FROM deliveries WHERE tenant_id = $1 AND id > $2 AND id < $3 ORDER BY id LIMIT $4
         ), gone AS (
           DELETE FROM deliveries d USING batch b
           WHERE d.tenant_id = $1 AND d.id = b.id AND d.created_at < $5 AND d.status IN ('succeeded', 'dead')
             AND d.seq <= coalesce((SELECT s.acked_seq FROM endpoint_stream s WHERE s.endpoint_id = d.endpoint_id), d.seq)
           RETURNING d.id, d.status
         ), att AS (
           DELETE FROM attempts a USING gone g WHERE a.delivery_id = g.id
         ), letters AS (
           DELETE FROM dead_letters l USING gone g WHERE g.status = 'dead' AND l.tenant_id = $1 AND l.delivery_id = g.id
         )
         SELECT (SELECT count(*)::int FROM batch) AS scanned, (SELECT count(*)::int FROM gone) AS deleted,
           (SELECT max(id) FROM batch) AS last_id`,
        [tenantId, after, deliveryIdBefore(before), limit, before],
      );
      const r = rows[0];
      return { scanned: r?.scanned ?? 0, deleted: r?.deleted ?? 0, lastId: r?.last_id ?? null };
    },

    async deleteEventsWithoutDeliveries(tenantId, before, after, limit) {
      const { rows } = await pool.query<{ id: string; created_at: string; deleted: boolean }>(
        `WITH batch AS (
           SELECT e.id, e.created_at FROM events e
           WHERE e.tenant_id = $1 AND e.created_at < $2 AND (e.created_at, e.id) > ($3::bigint, $4::text)
           ORDER BY e.created_at, e.id LIMIT $5
         ), gone AS (
           DELETE FROM events e USING batch b
           WHERE e.tenant_id = $1 AND e.id = b.id
             AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.tenant_id = e.tenant_id AND d.event_id = e.id)
           RETURNING e.id, e.tenant_id, CASE WHEN e.payload_expunged_at IS NULL THEN octet_length(e.data) ELSE 0 END AS bytes
         ), old AS (
           SELECT tenant_id, bytes FROM gone
         ), usage AS (
           -- A payload deleted with its event (not expunged first) leaves the tenant's stored-bytes count too.
           ${RELEASE_USAGE}
         )
         SELECT b.id, b.created_at, g.id IS NOT NULL AS deleted FROM batch b LEFT JOIN gone g ON g.id = b.id
         ORDER BY b.created_at, b.id`,
        [tenantId, before, after?.createdAt ?? -1, after?.id ?? "", limit],
      );
      const last = rows.at(-1);
      return {
        scanned: rows.length,
        deleted: rows.filter((r) => r.deleted).length,
        last: last ? { createdAt: Number(last.created_at), id: last.id } : null,
      };
    },
  };
}
