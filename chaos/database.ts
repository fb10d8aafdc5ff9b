/**
 * Direct, read-only access to the database under test, for the verdict: the delivery table is the ground truth the
 * producer's 202s and the receivers' records are compared with. The queries are plain SQL both stores understand.
 */
import Database from "better-sqlite3";
import pg from "pg";

export interface ChaosDb {
  all<T>(sql: string): Promise<T[]>;
  close(): Promise<void>;
}

export async function openChaosDb(url: string): Promise<ChaosDb> {
  if (url.startsWith("sqlite:")) {
    const db = new Database(url.slice("sqlite:".length), { readonly: true });
    return { all: async <T>(sql: string) => db.prepare(sql).all() as T[], close: async () => {
      db.close();
    },
  };
  }
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  return {
    all: async <T>(sql: string) => (await client.query(sql)).rows as T[],
    close: () => client.end(),
  };
}

export const UNFINISHED_SQL = "SELECT count(*) AS n FROM deliveries WHERE status IN ('pending', 'failed')";
/**
 * Endpoints still held by an owner whose hold ran out more than a second ago while they have unfinished deliveries:
 * work a dead worker left that nobody took over (each endpoint's queue row names its owner and how long it holds).
 */
export const EXPIRED_LEASES_SQL = (now: number) =>
  `SELECT count(*) AS n FROM endpoint_queue q WHERE q.owner IS NOT NULL AND q.owner_until < ${now - 1000}
   AND EXISTS (SELECT 1 FROM deliveries d WHERE d.endpoint_id = q.endpoint_id AND d.status IN ('pending', 'failed'))`;
/** Where unfinished deliveries wait, per endpoint: the verdict prints it when the drain did not finish. */
export const STUCK_SQL = `SELECT d.endpoint_id, count(*) AS n, min(d.seq) AS min_seq, max(d.seq) AS max_seq,
    sum(d.retry_queued) AS retry_queued, min(d.status) AS status, s.acked_seq, s.epoch, q.owner, q.owner_until,
    q.next_due_at, q.disabled,
    (SELECT count(*) FROM delivery_jobs j WHERE j.endpoint_id = d.endpoint_id) AS jobs
  FROM deliveries d
  JOIN endpoint_stream s ON s.endpoint_id = d.endpoint_id
  JOIN endpoint_queue q ON q.endpoint_id = d.endpoint_id
  WHERE d.status IN ('pending', 'failed')
  GROUP BY d.endpoint_id, s.acked_seq, s.epoch, q.owner, q.owner_until, q.next_due_at, q.disabled`;
export const DEAD_SQL = "SELECT event_id, endpoint_id FROM deliveries WHERE status = 'dead'";
export const STATUS_SQL = "SELECT status, count(*) AS n FROM deliveries GROUP BY status";
/** Deliveries whose attempt numbers are not exactly 1..n. */
export const GAPS_SQL = `SELECT count(*) AS n FROM (
  SELECT delivery_id, count(*) AS c, max(attempt) AS m, min(attempt) AS mn FROM attempts GROUP BY delivery_id
) t WHERE c <> m OR mn <> 1`;
