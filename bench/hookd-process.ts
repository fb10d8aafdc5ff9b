/**
 * Owns hookd processes: starts `node --import tsx src/main.ts serve [--role ...]` as a real child process, the way an
 * operator runs it, waits until it is ready ("hookd started" log line, then GET /healthz for roles that serve the
 * API), and watches its JSON log for anything a clean benchmark should not produce: warn/error lines, failed
 * attempts, a non-zero exit. Stops with SIGTERM (graceful drain) and reports how long that took.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../", import.meta.url));

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as { port: number };
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

export interface LogFindings {
  /** Lines at warn level or above, by message. */
  warnOrWorse: Map<string, number>;
  /** "attempt failed" lines (info level): deliveries the sink should never fail. */
  failedAttempts: number;
  samples: string[];
}

/** Every hookd process still running, so an interrupted bench does not leave them behind. */
const live = new Set<ChildProcess>();
process.on("exit", () => {
  for (const child of live) child.kill("SIGKILL");
});

export class HookdProcess {
  readonly findings: LogFindings = { warnOrWorse: new Map(), failedAttempts: 0, samples: [] };
  private tail = "";
  private partial = "";
  private readonly exited: Promise<number | null>;
  exitCode: number | null = null;
  exitSignal: string | null = null;
  /** Set once the process exited without being asked to. */
  crashed = false;
  private stopping = false;

  private constructor(
    readonly name: string,
    private readonly child: ChildProcess,
    /** API base URL, or "" for a worker-only process. */
    readonly url: string,
  ) {
    this.exited = new Promise((resolve) =>
      child.on("exit", (code, signal) => {
        this.exitCode = code ?? (signal ? -1 : null);
        this.exitSignal = signal;
        if (!this.stopping) this.crashed = true;
        resolve(this.exitCode);
      }),
    );
    const onData = (chunk: Buffer) => this.onOutput(chunk.toString());
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
  }

  get pid(): number {
    return this.child.pid ?? 0;
  }

  /** Why the process is gone although the bench did not stop it, or null while it runs (or was stopped). */
  unexpectedExit(): string | null {
    if (!this.crashed) return null;
    const signalled = /"signal":"(SIG[A-Z]+)","msg":"shutting down/.exec(this.tail);
    return signalled
      ? `${this.name} was sent ${signalled[1]} by something outside the bench and shut down (exit code ${this.exitCode})`
      : this.exitSignal
        ? `${this.name} was killed by ${this.exitSignal} (not sent by the bench)`
        : `${this.name} exited on its own with code ${this.exitCode}: ${this.tail.slice(-800)}`;
  }

  output(): string {
    return this.tail;
  }

  private onOutput(text: string): void {
    this.tail = (this.tail + text).slice(-64 * 1024);
    const lines = (this.partial + text).split("\n");
    this.partial = lines.pop() ?? "";
    for (const line of lines) this.inspect(line);
  }

  private inspect(line: string): void {
    if (!line.startsWith("{")) {
      if (line.trim() && this.findings.samples.length < 10) this.findings.samples.push(`${this.name}: ${line.slice(0, 300)}`);
      return;
    }
    let entry: { level?: number; msg?: string };
    try {
      entry = JSON.parse(line) as { level?: number; msg?: string };
    } catch {
      return;
    }
    const msg = entry.msg ?? "";
    if (msg === "attempt failed") {
      this.findings.failedAttempts++;
      if (this.findings.samples.length < 10) this.findings.samples.push(`${this.name}: ${line.slice(0, 400)}`);
    }
    if ((entry.level ?? 0) >= 40) {
      this.findings.warnOrWorse.set(msg, (this.findings.warnOrWorse.get(msg) ?? 0) + 1);
      if (this.findings.samples.length < 10) this.findings.samples.push(`${this.name}: ${line.slice(0, 400)}`);
    }
  }

  static async start(
    name: string,
    env: Record<string, string>,
    args: string[] = ["serve"],
    timeoutMs = 60_000,
  ): Promise<HookdProcess> {
    // BENCH_HOOKD_NODE_ARGS passes extra node flags to every hookd process, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof"
    // to profile a run (the profile is written when hookd exits on SIGTERM).
    const nodeArgs = (process.env.BENCH_HOOKD_NODE_ARGS ?? "").split(" ").filter(Boolean);
    const child = spawn(process.execPath, [...nodeArgs, "--import", "tsx", "src/main.ts", ...args], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? "", HOOKD_LOG_LEVEL: "info", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    live.add(child);
    child.once("exit", () => live.delete(child));
    const started = new Promise<string>((resolve, reject) => {
      let seen = "";
      const timer = setTimeout(() => reject(new Error(`${name} did not start in ${timeoutMs} ms:\n${seen}`)), timeoutMs);
      const onData = (chunk: Buffer) => {
        seen = (seen + chunk.toString()).slice(-32 * 1024);
        const m = /"url":(null|"(http:\/\/[^"]+)"),"msg":"hookd started"/.exec(seen);
        if (m) {
          clearTimeout(timer);
          child.stdout?.off("data", onData);
          child.stderr?.off("data", onData);
          resolve(m[2] ?? "");
        }
      };
      child.stdout?.on("data", onData);
      child.stderr?.on("data", onData);
      child.once("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`${name} exited with ${code} before starting:\n${seen}`));
      });
    });
    const proc = new HookdProcess(name, child, await started.catch((err: unknown) => {
      child.kill("SIGKILL");
      throw err;
    }));
    if (proc.url) await proc.waitHealthy(timeoutMs);
    return proc;
  }

  private async waitHealthy(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        const res = await fetch(`${this.url}/healthz`);
        if (res.ok) return;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error(`${this.name}: /healthz did not answer in ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** SIGTERM and wait (SIGKILL after `graceMs`); resolves with the exit code and the time it took. */
  async stop(graceMs = 30_000): Promise<{ code: number | null; ms: number }> {
    const t0 = Date.now();
    if (this.exitCode === null) {
      this.stopping = true;
      this.child.kill("SIGTERM");
      const timer = setTimeout(() => this.child.kill("SIGKILL"), graceMs);
      await this.exited;
      clearTimeout(timer);
    }
    return { code: this.exitCode, ms: Date.now() - t0 };
  }
}
