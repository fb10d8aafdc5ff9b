/**
 * Owns memory measurement: samples VmRSS of a set of processes from /proc/<pid>/status every 200 ms and keeps the
 * peak of their sum (the multi-process shape is judged as a whole). Linux only; elsewhere it reports nothing.
 */
import { readFileSync } from "node:fs";

function rssKb(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

export class RssSampler {
  private peakKb = 0;
  private peakOneKb = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly pids: () => readonly number[]) {}

  start(intervalMs = 200): void {
    this.sample();
    this.timer = setInterval(() => this.sample(), intervalMs);
    this.timer.unref();
  }

  sample(): void {
    let total = 0;
    for (const pid of this.pids()) {
      const kb = rssKb(pid);
      total += kb;
      if (kb > this.peakOneKb) this.peakOneKb = kb;
    }
    if (total > this.peakKb) this.peakKb = total;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Peak summed RSS in MB, or NaN when nothing could be read. */
  get peakMb(): number {
    return this.peakKb > 0 ? this.peakKb / 1024 : Number.NaN;
  }

  /** Peak RSS of the largest single process in MB. */
  get peakProcessMb(): number {
    return this.peakOneKb > 0 ? this.peakOneKb / 1024 : Number.NaN;
  }
}
