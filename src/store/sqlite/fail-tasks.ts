/** Ends the queued and running tasks a deletion makes pointless (SQLite); returns their kinds and endpoints. */
import type { SqliteContext } from "./context.ts";

export function failActiveTasks(
  ctx: SqliteContext,
  where: string,
  params: unknown[],
  error: string,
  now: number,
): { kind: string; endpoint_id: string }[] {
  return ctx
    .sql(
      `UPDATE tasks SET status = 'failed', error = ?, lease_token = NULL, lease_expires_at = NULL, updated_at = ?,
         finished_at = ?
       WHERE status IN ('queued', 'running') AND ${where}
       RETURNING kind, endpoint_id`,
    )
    .all(error, now, now, ...params) as { kind: string; endpoint_id: string }[];
}
