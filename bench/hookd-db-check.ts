/**
 * Owns the one place the throughput runs read hookd's own tables: after hookd has stopped, did every accepted event
 * become a delivery that succeeded, with an attempt logged for it? Everything else the bench learns about hookd comes
 * through its public API and the sink. When the delivery tables are renamed or reshaped, this query is the one to
 * adapt (the backlog run's preload in backlog.ts writes rows into them too).
 */
import type { BenchStore } from "./stores.ts";

export interface DbCheck {
  deliveries: number;
  succeeded: number;
  attempts: number;
}

/** Runs unchanged on SQLite and PostgreSQL. */
export const DELIVERY_CHECK_SQL = `SELECT
  (SELECT count(*) FROM deliveries) AS deliveries,
  (SELECT count(*) FROM deliveries WHERE status = 'succeeded') AS succeeded,
  (SELECT count(*) FROM attempts) AS attempts`;

/** Counts in hookd's database, and what in them contradicts `accepted` events all delivered once. */
export async function checkDeliveriesLogged(
  store: BenchStore,
  accepted: number,
): Promise<{ db: DbCheck; problems: string[] }> {
  const db = (await store.queryNumbers(DELIVERY_CHECK_SQL)) as unknown as DbCheck;
  const problems: string[] = [];
  if (db.deliveries !== accepted) problems.push(`database holds ${db.deliveries} deliveries for ${accepted} accepted events`);
  if (db.succeeded !== db.deliveries) problems.push(`${db.deliveries - db.succeeded} deliveries not succeeded at the end`);
  if (db.attempts < db.succeeded) problems.push(`only ${db.attempts} attempts logged for ${db.succeeded} succeeded deliveries`);
  return { db, problems };
}
