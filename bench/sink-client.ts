/**
 * Owns the sink child process from the bench's side: starts bench/sink.ts with `node --import tsx` (IPC only to learn
 * its port), and talks to it through its /_bench/ control routes: reset, stats, receive times, stop.
 */
import { type ChildProcess, fork } from "node:child_process";
import { fileURLToPath } from "node:url";

export interface SinkStats {
  requests: number;
  unique: number;
  duplicates: number;
  verified: number;
  bad_signatures: number;
  first_ms: number;
  last_ms: number;
}

export interface SinkTimes {
  /** First receive time per webhook-id, epoch ms. */
  times: Map<string, number>;
  /** Extra copies per webhook-id that arrived more than once. */
  dups: Map<string, number>;
}

export class Sink {
  private constructor(
    private readonly child: ChildProcess,
    /** Base URL of the sink, e.g. http://127.0.0.1:41234 */
    readonly url: string,
  ) {}

  /** The URL endpoints and senders POST webhooks to. */
  get hookUrl(): string {
    return `${this.url}/hook`;
  }

  get pid(): number {
    return this.child.pid ?? 0;
  }

  static async start(): Promise<Sink> {
    const child = fork(fileURLToPath(new URL("./sink.ts", import.meta.url)), [], {
      execArgv: ["--import", "tsx"],
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("the sink did not start within 20 s")), 20_000);
      child.once("message", (m: { port: number }) => {
        clearTimeout(timer);
        resolve(m.port);
      });
      child.once("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`the sink exited with ${code} before listening`));
      });
    });
    return new Sink(child, `http://127.0.0.1:${port}`);
  }

  async reset(secret?: string): Promise<void> {
    const res = await fetch(`${this.url}/_bench/reset`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(secret ? { secret } : {}),
    });
    if (!res.ok) throw new Error(`sink reset failed: ${res.status} ${await res.text()}`);
  }

  async stats(): Promise<SinkStats> {
    const res = await fetch(`${this.url}/_bench/stats`);
    if (!res.ok) throw new Error(`sink stats failed: ${res.status}`);
    return (await res.json()) as SinkStats;
  }

  async times(): Promise<SinkTimes> {
    const res = await fetch(`${this.url}/_bench/times`);
    if (!res.ok) throw new Error(`sink times failed: ${res.status}`);
    const body = (await res.json()) as { ids: string[]; times: number[]; dups: Record<string, number> };
    const times = new Map<string, number>();
    body.ids.forEach((id, i) => times.set(id, body.times[i] ?? Number.NaN));
    return { times, dups: new Map(Object.entries(body.dups)) };
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once("exit", () => resolve()));
    this.child.disconnect();
    const timer = setTimeout(() => this.child.kill("SIGKILL"), 5_000);
    await exited;
    clearTimeout(timer);
  }
}
