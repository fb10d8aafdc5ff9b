/**
 * Owns CPU time from /proc (Linux): the utime+stime of one process (all its threads, so hookd's delivery thread is
 * included), and a sampler for the PostgreSQL server that splits the server's processes into the backends of one
 * database plus the shared background processes (checkpointer, background writer, walwriter ...), as opposed to the
 * whole server. Other people's databases on the same server are not charged to the system under test.
 *
 * Backends come and go (a pool closes idle connections), and a process's counters vanish with it, so the sampler
 * rescans every 500 ms and keeps the last value it saw of every process, keyed by pid and start time (pids are
 * reused). The server-wide figure needs no sampling: the postmaster's cutime/cstime collect the CPU of every child it
 * has reaped, so postmaster (own + reaped children) + live children is a continuous counter.
 */
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";

/** Clock ticks per second of /proc's time fields (USER_HZ; 100 on every common Linux). */
export const CLOCK_TICKS = (() => {
  try {
    const n = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim());
    return Number.isInteger(n) && n > 0 ? n : 100;
  } catch {
    return 100;
  }
})();

interface ProcStat {
  ppid: number;
  /** utime + stime, ticks. */
  ticks: number;
  /** cutime + cstime: reaped children, ticks. */
  childTicks: number;
  starttime: number;
}

function readStat(pid: number): ProcStat | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return null;
  }
  // The command name (field 2) is in parentheses and may hold spaces; every later field is a plain number.
  const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
  const at = (field: number) => Number(fields[field - 3]);
  return { ppid: at(4), ticks: at(14) + at(15), childTicks: at(16) + at(17), starttime: at(22) };
}

/** CPU time of a process (all threads) in microseconds, or NaN when it is gone. */
export function processCpuUs(pid: number): number {
  const s = readStat(pid);
  return s ? (s.ticks / CLOCK_TICKS) * 1e6 : Number.NaN;
}

/** Summed CPU time of processes, microseconds; a process that is gone counts as 0, so callers sample live ones. */
export function processesCpuUs(pids: readonly number[]): number {
  let total = 0;
  for (const pid of pids) {
    const us = processCpuUs(pid);
    if (Number.isFinite(us)) total += us;
  }
  return total;
}

function processTitle(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ").trim();
  } catch {
    return "";
  }
}

/** The postmaster: a process titled like a PostgreSQL server whose parent is not one. */
function findPostmaster(): number | null {
  const candidates: number[] = [];
  for (const name of readdirSync("/proc")) {
    const pid = Number(name);
    if (!Number.isInteger(pid)) continue;
    try {
      if (readFileSync(`/proc/${pid}/comm`, "utf8").trim() === "postgres") candidates.push(pid);
    } catch {
      // gone
    }
  }
  const set = new Set(candidates);
  return candidates.find((pid) => !set.has(readStat(pid)?.ppid ?? -1)) ?? null;
}

/** Background processes that serve every database: charged to whichever system is measured. */
const SHARED_PROCESS = /: (checkpointer|background writer|walwriter|autovacuum launcher|logical replication launcher|archiver|walsender|walreceiver)\b/;

export interface PgCpuReading {
  /** Backends of the measured database + shared background processes, microseconds (cumulative). */
  databaseUs: number;
  /** Every process of the server, microseconds (cumulative). */
  serverUs: number;
}

export class PostgresCpuSampler {
  private readonly seen = new Map<string, { ticks: number; charged: boolean }>();
  private timer: NodeJS.Timeout | null = null;

  private constructor(
    private readonly postmaster: number,
    /** Backends whose process title names this database are charged to it. */
    private readonly database: string,
  ) {}

  /** Null when the server is not a local process this user can see (then PostgreSQL CPU is not reported). */
  static start(database: string): PostgresCpuSampler | null {
    const postmaster = findPostmaster();
    if (postmaster === null) return null;
    const sampler = new PostgresCpuSampler(postmaster, database);
    sampler.scan();
    sampler.timer = setInterval(() => sampler.scan(), 500);
    sampler.timer.unref();
    return sampler;
  }

  private scan(): void {
    for (const name of readdirSync("/proc")) {
      const pid = Number(name);
      if (!Number.isInteger(pid)) continue;
      const s = readStat(pid);
      if (!s || s.ppid !== this.postmaster) continue;
      const key = `${pid}:${s.starttime}`;
      const known = this.seen.get(key);
      if (known) {
        known.ticks = s.ticks;
        continue;
      }
      const title = processTitle(pid);
      this.seen.set(key, { ticks: s.ticks, charged: title.includes(` ${this.database} `) || SHARED_PROCESS.test(title) });
    }
  }

  /** Rescans, then reads both counters. */
  read(): PgCpuReading {
    this.scan();
    let charged = 0;
    for (const p of this.seen.values()) if (p.charged) charged += p.ticks;
    const pm = readStat(this.postmaster);
    let server = pm ? pm.ticks + pm.childTicks : 0;
    for (const name of readdirSync("/proc")) {
      const pid = Number(name);
      if (!Number.isInteger(pid)) continue;
      const s = readStat(pid);
      if (s && s.ppid === this.postmaster) server += s.ticks;
    }
    return { databaseUs: (charged / CLOCK_TICKS) * 1e6, serverUs: (server / CLOCK_TICKS) * 1e6 };
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
