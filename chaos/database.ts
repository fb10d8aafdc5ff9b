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
export const EXPIRED_LEASES_SQL = (now: number) =>
  `SELECT count(*) AS n FROM deliveries WHERE lease_token IS NOT NULL AND locked_until < ${now - 1000}
   AND status IN ('pending', 'failed')`;
export const DEAD_SQL = "SELECT event_id, endpoint_id FROM deliveries WHERE status = 'dead'";
export const STATUS_SQL = "SELECT status, count(*) AS n FROM deliveries GROUP BY status";
/** Deliveries whose attempt numbers are not exactly 1..n. */
export const GAPS_SQL = `SELECT count(*) AS n FROM (
  SELECT delivery_id, count(*) AS c, max(attempt) AS m, min(attempt) AS mn FROM attempts GROUP BY delivery_id
) t WHERE c <> m OR mn <> 1`;
