/**
 * Owns the fleet receiver child process (fleet-receiver.ts) from the bench's side: starts it, names the URLs the
 * unhealthy endpoint groups point at, and reads and releases it through its /_fleet/ control routes.
 */
import { type ChildProcess, fork } from "node:child_process";
import { fileURLToPath } from "node:url";

export interface FleetReceiverStats {
  failed: Record<string, number>;
  hanging_open: number;
  hanging_total: number;
}

export class FleetReceiver {
  private constructor(
    private readonly child: ChildProcess,
    readonly url: string,
  ) {}

  static async start(): Promise<FleetReceiver> {
    const child = fork(fileURLToPath(new URL("./fleet-receiver.ts", import.meta.url)), [], {
      execArgv: ["--import", "tsx"],
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("the fleet receiver did not start within 20 s")), 20_000);
      child.once("message", (m: { port: number }) => {
        clearTimeout(timer);
        resolve(m.port);
      });
      child.once("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`the fleet receiver exited with ${code} before listening`));
      });
    });
    return new FleetReceiver(child, `http://127.0.0.1:${port}`);
  }

  /** An endpoint URL that answers 500 at once, counted under `group`. */
  failUrl(group: string): string {
    return `${this.url}/fail/${group}`;
  }

  /** An endpoint URL that takes the request and never answers. */
  get hangUrl(): string {
    return `${this.url}/hang`;
  }

  async stats(): Promise<FleetReceiverStats> {
    const res = await fetch(`${this.url}/_fleet/stats`);
    if (!res.ok) throw new Error(`fleet receiver stats: ${res.status}`);
    return (await res.json()) as FleetReceiverStats;
  }

  async release(): Promise<void> {
    await fetch(`${this.url}/_fleet/release`, { method: "POST" }).then((r) => r.body?.cancel());
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
