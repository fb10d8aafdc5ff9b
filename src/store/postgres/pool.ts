/**
 * The pg pool hookd uses. bigint columns (epoch-millisecond times, counts) are parsed to numbers: every value hookd
 * stores in them is far below 2^53. An idle client that dies (the server restarted) must not crash the process, so
 * pool errors go to the caller's log and the pool replaces the client on the next checkout.
 */
import pg from "pg";

const INT8_OID = 20;

const types = {
  getTypeParser: ((oid: number, format?: "text" | "binary") =>
    oid === INT8_OID ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

/**
 * Bounds on every connection, so one hung server, half-open TCP connection (a failover, a NAT that forgot us) or lock
 * wait surfaces as an error the caller retries or answers 503 for, instead of stalling the claim loop, the recorder
 * or every ingest slot forever. hookd's statements are short; none legitimately runs near these limits.
 */
export const CONNECTION_LIMITS = {
  keepAlive: true,
  keepAliveInitialDelayMillis: 10_000,
  statement_timeout: 30_000,
  lock_timeout: 10_000,
  idle_in_transaction_session_timeout: 60_000,
  /** Client-side: also fires when the server cannot even be told to cancel. */
  query_timeout: 40_000,
} as const;

export function createPool(connectionString: string, max: number, onError: (err: Error) => void): pg.Pool {
  const pool = new pg.Pool({
    connectionString,
    max,
    types,
    connectionTimeoutMillis: 10_000,
    idleTimeoutMillis: 30_000,
    ...CONNECTION_LIMITS,
  });
  pool.on("error", onError);
  return pool;
}

/**
 * Checks a client out for several statements. While checked out, a pooled client has no 'error' listener of the
 * pool's, and pg emits 'error' when the connection breaks between two statements (a server restart, a failover): with
 * no listener that is an uncaught exception that kills the process. So hold one for the checkout, and hand a broken
 * client back with its error so the pool discards it instead of lending it out again.
 */
export async function withClient<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  const onError = (err: Error) => {
    broken = err;
  };
  client.on("error", onError);
  try {
    return await fn(client);
  } catch (err) {
    broken ??= isConnectionLevel(err) ? (err as Error) : undefined;
    throw err;
  } finally {
    client.removeListener("error", onError);
    client.release(broken);
  }
}

/** Runs `fn` in a transaction on one pooled client, rolling back on any error. */
export async function inTransaction<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  return withClient(pool, async (client) => {
    try {
      await client.query("BEGIN");
      const result = await fn(client);
      await client.query("COMMIT");
      return result;
    } catch (err) {
      await client.query("ROLLBACK").catch(() => undefined);
      throw err;
    }
  });
}

/** Errors after which the connection itself cannot be trusted (as opposed to a statement the server refused). */
function isConnectionLevel(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown };
  if (typeof e?.code === "string" && /^(E[A-Z]+|08...|57P0.)$/.test(e.code)) return true;
  return typeof e?.message === "string" && /Connection terminated|Query read timeout|not queryable/.test(e.message);
}
