/**
 * Owns the cost of a delivery on PostgreSQL: over one measured run of a system (hookd, or the PostgreSQL-queue
 * baseline), the WAL it wrote, the transactions it committed, the rows it inserted, updated and deleted, the CPU time
 * of the PostgreSQL server processes that served it and of its own processes, each divided by the deliveries of the
 * run. The counters are PostgreSQL's own (see pg-meter.ts) and the kernel's (proc-cpu.ts); they hold steady on a
 * noisy machine where throughput does not.
 *
 * Making pg_stat_database exact. A backend does not publish its counters as it goes: it flushes them when it goes
 * idle, at most once a second, and a backend that goes idle within a second of its last flush keeps what it has
 * until a timer fires 10 s later (PostgreSQL 15: PGSTAT_MIN_INTERVAL 1 s, PGSTAT_IDLE_INTERVAL 10 s; the same at
 * backend exit). So a snapshot is taken only once the database is quiet: first until none of its WAL records has
 * appeared for 1 s (pg_walinspect; without it, until none of its backends is active for 1 s), then 10.5 s after
 * its last write, when every backend has flushed whatever it did. The same settled snapshot ends one run's window and
 * starts the next. What a window holds besides the run is the system idling: a few read-only polls a second.
 */
import type { PgCpuReading } from "./proc-cpu.ts";
import { PostgresCpuSampler, processesCpuUs } from "./proc-cpu.ts";
import type { DbStats, PgMeter, WalWindow } from "./pg-meter.ts";

/** PostgreSQL 15's PGSTAT_IDLE_INTERVAL (10 s) plus a margin. */
const STATS_FLUSH_MS = 10_500;
const QUIET_MS = 1_000;
/** A system that keeps writing while idle (housekeeping) is snapshotted anyway after this long, and it is noted. */
const MAX_QUIET_WAIT_MS = 15_000;

export interface CostSnapshot {
  at: number;
  lsn: string;
  flushLsn: string;
  stats: DbStats;
  checkpoints: number;
  pgCpu: PgCpuReading | null;
  /** The system's own processes (hookd, or the queue worker), microseconds. */
  procCpuUs: number;
  /** Set when the database never went quiet before the snapshot. */
  notQuiet?: boolean;
}

export interface CostFigures {
  run: string;
  deliveries: number;
  seconds: number;
  /** "database": the database's own WAL (pg_walinspect); "server": the whole server's (pg_current_wal_lsn delta). */
  walScope: "database" | "server";
  walBytes: number;
  walServerBytes: number;
  /** Of walBytes, full-page images (pg_walinspect only); they grow with every checkpoint in the window. */
  walFpiBytes: number | null;
  /** Checkpoints the server made during the window (on a shared server, anyone's DROP DATABASE forces one). */
  checkpoints: number;
  xacts: number;
  rowsInserted: number;
  rowsUpdated: number;
  rowsDeleted: number;
  /** From the WAL (pg_walinspect only): heap updates that were HOT, and commits of writing transactions. */
  hotUpdates: number | null;
  writeCommits: number | null;
  pgCpuUs: number;
  pgCpuServerUs: number;
  procCpuUs: number;
  problems: string[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class CostMeter {
  private constructor(
    private readonly meter: PgMeter,
    private readonly database: string,
    private readonly dbOid: number,
    private readonly cpu: PostgresCpuSampler | null,
    private readonly pids: () => readonly number[],
  ) {}

  /** `pids`: the processes of the system under test, read at every snapshot. */
  static async start(meter: PgMeter, database: string, pids: () => readonly number[]): Promise<CostMeter> {
    return new CostMeter(meter, database, await meter.oidOf(database), PostgresCpuSampler.start(database), pids);
  }

  stop(): void {
    this.cpu?.stop();
  }

  /** Waits until the database is quiet and its statistics are flushed (see the module comment), then snapshots. */
  async settle(): Promise<CostSnapshot> {
    const started = Date.now();
    let lastWriteAt = started;
    let notQuiet = false;
    try {
      let pos = await this.meter.walPosition();
      for (;;) {
        await sleep(250);
        const next = await this.meter.walPosition();
        const wrote = this.meter.walInspect
          ? await this.meter.databaseWroteBetween(pos.flushLsn, next.flushLsn, this.dbOid)
          : await this.meter.anyActiveBackend(this.database);
        pos = next;
        const now = Date.now();
        if (wrote) lastWriteAt = now;
        if (now - lastWriteAt >= QUIET_MS) break;
        if (now - started > MAX_QUIET_WAIT_MS) {
          notQuiet = true;
          break;
        }
      }
    } catch {
      // Telling quiet apart failed: wait as if the last write were now.
      lastWriteAt = Date.now();
      notQuiet = true;
    }
    const wait = lastWriteAt + STATS_FLUSH_MS - Date.now();
    if (wait > 0) await sleep(wait);
    return this.snapshot(notQuiet);
  }

  private async snapshot(notQuiet: boolean): Promise<CostSnapshot> {
    const { lsn, flushLsn } = await this.meter.walPosition();
    const snap: CostSnapshot = {
      at: Date.now(),
      lsn,
      flushLsn,
      stats: await this.meter.dbStats(this.database),
      checkpoints: await this.meter.checkpoints(),
      pgCpu: this.cpu?.read() ?? null,
      procCpuUs: processesCpuUs(this.pids()),
    };
    if (notQuiet) snap.notQuiet = true;
    return snap;
  }

  /** The cost of the window between two snapshots, for `deliveries` deliveries made in it. */
  async figures(run: string, a: CostSnapshot, b: CostSnapshot, deliveries: number): Promise<CostFigures> {
    const problems: string[] = [];
    if (b.notQuiet) problems.push(`${run}: could not see the database go quiet; the closing snapshot may miss a last write`);
    const walServerBytes = await this.meter.walBytesBetween(a.lsn, b.lsn);
    let wal: WalWindow | null = null;
    if (this.meter.walInspect) {
      try {
        wal = await this.meter.databaseWal(a.flushLsn, b.flushLsn, this.dbOid);
        await this.meter.releaseWalBefore(b.flushLsn);
      } catch (err) {
        problems.push(`${run}: reading the window's WAL failed (${(err as Error).message}); WAL is the server-wide delta`);
      }
    }
    return {
      run,
      deliveries,
      seconds: (b.at - a.at) / 1000,
      walScope: wal ? "database" : "server",
      walBytes: wal ? wal.bytes : walServerBytes,
      walServerBytes,
      walFpiBytes: wal ? wal.fpiBytes : null,
      checkpoints: b.checkpoints - a.checkpoints,
      xacts: b.stats.xactCommit - a.stats.xactCommit,
      rowsInserted: b.stats.tupInserted - a.stats.tupInserted,
      rowsUpdated: b.stats.tupUpdated - a.stats.tupUpdated,
      rowsDeleted: b.stats.tupDeleted - a.stats.tupDeleted,
      hotUpdates: wal ? wal.hotUpdates : null,
      writeCommits: wal ? wal.commits : null,
      pgCpuUs: a.pgCpu && b.pgCpu ? b.pgCpu.databaseUs - a.pgCpu.databaseUs : Number.NaN,
      pgCpuServerUs: a.pgCpu && b.pgCpu ? b.pgCpu.serverUs - a.pgCpu.serverUs : Number.NaN,
      procCpuUs: b.procCpuUs - a.procCpuUs,
      problems,
    };
  }
}
