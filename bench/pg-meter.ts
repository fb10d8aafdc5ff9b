/**
 * Owns reading PostgreSQL's own counters for the cost figures, from a database of its own
 * (`hookd_bench_meter_<random>`, made once per bench run and dropped at the end), so the meter's queries never count
 * as transactions of the database being measured:
 *   - the WAL position (`pg_current_wal_lsn()`, server-wide: other databases' writes are in it too);
 *   - `pg_stat_database` of the measured database (committed transactions, rows inserted / updated / deleted);
 *   - with the pg_walinspect extension (PostgreSQL 15 contrib), the WAL records of a window that belong to the
 *     measured database: records whose block references name its OID, plus every record (commit records
 *     included) of a transaction that wrote such a block. That is the database's own WAL, exact, whatever else the
 *     server did meanwhile; without the extension the server-wide figure is all there is.
 * WAL segments are recycled at every checkpoint, and on a shared server someone's DROP DATABASE forces one at any
 * moment, so the meter holds a temporary physical replication slot: the server keeps the WAL from the slot on until
 * the meter has read a window and moves the slot past it. A temporary slot ends with the session that made it, so a
 * bench that dies holds no WAL back; and because PostgreSQL also drops a session's temporary slots on any error in
 * it, the slot lives in a connection of its own that runs nothing else.
 */
import { randomBytes } from "node:crypto";
import pg from "pg";
import { adminQuery, postgresUrlFor } from "./stores.ts";

export interface DbStats {
  xactCommit: number;
  tupInserted: number;
  tupUpdated: number;
  tupDeleted: number;
}

export interface WalWindow {
  /** Bytes of WAL (record start to next record start, so alignment and page headers are counted). */
  bytes: number;
  records: number;
  /** Of `bytes`, the full-page images: the first change to a page after each checkpoint logs the whole page. */
  fpiBytes: number;
  /** Heap rows by WAL record: inserts (multi-inserts counted per row), updates (HOT apart), deletes. */
  inserts: number;
  updates: number;
  hotUpdates: number;
  deletes: number;
  commits: number;
}

export class PgMeter {
  private constructor(
    private readonly adminUrl: string,
    private readonly name: string,
    private readonly client: pg.Client,
    /** Holds the replication slot; runs nothing but creating and advancing it. */
    private readonly slotClient: pg.Client,
    /** Whether pg_walinspect could be installed in the meter database and the WAL held. */
    readonly walInspect: boolean,
    readonly walInspectProblem: string | null,
  ) {}

  static async open(adminUrl: string): Promise<PgMeter> {
    const name = `hookd_bench_meter_${randomBytes(4).toString("hex")}`;
    await adminQuery(adminUrl, `CREATE DATABASE ${name}`);
    const url = postgresUrlFor(adminUrl, name);
    const client = new pg.Client({ connectionString: url, application_name: "hookd-bench-meter" });
    const slotClient = new pg.Client({ connectionString: url, application_name: "hookd-bench-meter-slot" });
    await client.connect();
    await slotClient.connect();
    let problem: string | null = null;
    try {
      await client.query("CREATE EXTENSION IF NOT EXISTS pg_walinspect");
      await slotClient.query("SELECT pg_create_physical_replication_slot($1, true, true)", [name]);
    } catch (err) {
      problem = (err as Error).message;
    }
    return new PgMeter(adminUrl, name, client, slotClient, problem === null, problem);
  }

  /** Lets the server recycle the WAL before `lsn` again (the meter has read it). */
  async releaseWalBefore(lsn: string): Promise<void> {
    if (!this.walInspect) return;
    await this.slotClient.query("SELECT pg_replication_slot_advance($1, $2::pg_lsn)", [this.name, lsn]);
  }

  async close(): Promise<void> {
    await this.client.end().catch(() => undefined);
    await this.slotClient.end().catch(() => undefined);
    await adminQuery(this.adminUrl, `DROP DATABASE IF EXISTS ${this.name} WITH (FORCE)`).catch(() => undefined);
  }

  async oidOf(database: string): Promise<number> {
    const { rows } = await this.client.query<{ oid: number }>("SELECT oid FROM pg_database WHERE datname = $1", [database]);
    if (!rows[0]) throw new Error(`no database ${database}`);
    return Number(rows[0].oid);
  }

  /** The insert position (server-wide delta) and the flush position (the end walinspect may read up to). */
  async walPosition(): Promise<{ lsn: string; flushLsn: string }> {
    const { rows } = await this.client.query<{ lsn: string; flush: string }>(
      "SELECT pg_current_wal_lsn()::text AS lsn, pg_current_wal_flush_lsn()::text AS flush",
    );
    const row = rows[0];
    if (!row) throw new Error("no WAL position");
    return { lsn: row.lsn, flushLsn: row.flush };
  }

  async walBytesBetween(from: string, to: string): Promise<number> {
    const { rows } = await this.client.query<{ d: string }>("SELECT ($2::pg_lsn - $1::pg_lsn)::text AS d", [from, to]);
    return Number(rows[0]?.d ?? Number.NaN);
  }

  /** Checkpoints the server has made (timed and requested): each one makes the next change to every page log it whole. */
  async checkpoints(): Promise<number> {
    const { rows } = await this.client.query<{ n: string }>(
      "SELECT checkpoints_timed + checkpoints_req AS n FROM pg_stat_bgwriter",
    );
    return Number(rows[0]?.n ?? Number.NaN);
  }

  async dbStats(database: string): Promise<DbStats> {
    const { rows } = await this.client.query<Record<string, string>>(
      `SELECT xact_commit, tup_inserted, tup_updated, tup_deleted FROM pg_stat_database WHERE datname = $1`,
      [database],
    );
    const r = rows[0];
    if (!r) return { xactCommit: 0, tupInserted: 0, tupUpdated: 0, tupDeleted: 0 };
    return {
      xactCommit: Number(r.xact_commit),
      tupInserted: Number(r.tup_inserted),
      tupUpdated: Number(r.tup_updated),
      tupDeleted: Number(r.tup_deleted),
    };
  }

  /** Without pg_walinspect, the next best sign of work: a backend of the database is running a statement. */
  async anyActiveBackend(database: string): Promise<boolean> {
    const { rows } = await this.client.query<{ n: string }>(
      "SELECT count(*) AS n FROM pg_stat_activity WHERE datname = $1 AND state IS DISTINCT FROM 'idle'",
      [database],
    );
    return Number(rows[0]?.n ?? 0) > 0;
  }

  /** Whether any WAL record between the two positions touches the database (cheap over a short span). */
  async databaseWroteBetween(from: string, to: string, dbOid: number): Promise<boolean> {
    if (from === to) return false;
    try {
      const { rows } = await this.client.query<{ n: string }>(
        `SELECT count(*) AS n FROM pg_get_wal_records_info($1::pg_lsn, $2::pg_lsn) WHERE block_ref ~ $3`,
        [from, to, blockPattern(dbOid)],
      );
      return Number(rows[0]?.n ?? 0) > 0;
    } catch (err) {
      // A span too short to hold the start of a record has no record in it.
      if (/could not find a valid record/.test((err as Error).message)) return false;
      throw err;
    }
  }

  /** The database's own WAL between two flush positions (see the module comment for what belongs to it). */
  async databaseWal(from: string, to: string, dbOid: number): Promise<WalWindow> {
    const { rows } = await this.client.query<Record<string, string>>(
      `WITH r AS (
         SELECT xid::text AS xid, (end_lsn - start_lsn) AS len, fpi_length AS fpi, resource_manager AS rm, record_type AS rt,
                description, block_ref ~ $3 AS touches
         FROM pg_get_wal_records_info($1::pg_lsn, $2::pg_lsn)
       ),
       writers AS (SELECT DISTINCT xid FROM r WHERE touches AND xid <> '0'),
       mine AS (SELECT * FROM r WHERE touches OR xid IN (SELECT xid FROM writers))
       SELECT coalesce(sum(len), 0) AS bytes,
              count(*) AS records,
              coalesce(sum(fpi), 0) AS fpi_bytes,
              count(*) FILTER (WHERE rm = 'Heap' AND rt LIKE 'INSERT%') +
                coalesce(sum(substring(description FROM '(\\d+) tuples')::int) FILTER (WHERE rm = 'Heap2' AND rt LIKE 'MULTI_INSERT%'), 0)
                AS inserts,
              count(*) FILTER (WHERE rm = 'Heap' AND rt LIKE 'UPDATE%') AS updates,
              count(*) FILTER (WHERE rm = 'Heap' AND rt LIKE 'HOT_UPDATE%') AS hot_updates,
              count(*) FILTER (WHERE rm = 'Heap' AND rt LIKE 'DELETE%') AS deletes,
              count(*) FILTER (WHERE rm = 'Transaction' AND rt LIKE 'COMMIT%') AS commits
       FROM mine`,
      [from, to, blockPattern(dbOid)],
    );
    const r = rows[0] ?? {};
    const n = (k: string) => Number(r[k] ?? 0);
    return {
      bytes: n("bytes"),
      records: n("records"),
      fpiBytes: n("fpi_bytes"),
      inserts: n("inserts"),
      updates: n("updates"),
      hotUpdates: n("hot_updates"),
      deletes: n("deletes"),
      commits: n("commits"),
    };
  }
}

/** Block references print as `rel <tablespace>/<database>/<relfilenode>`. */
function blockPattern(dbOid: number): string {
  return ` rel [0-9]+/${dbOid}/`;
}
