/**
 * Owns the baselines' consumer processes (bullmq-worker.ts, pgqueue-worker.ts): each runs as its own child process,
 * as hookd's worker does, gets its settings in the environment, says "ready" over IPC once it consumes, and shuts
 * down gracefully when the IPC channel closes.
 */
import { type ChildProcess, fork } from "node:child_process";
import { fileURLToPath } from "node:url";

/** Starts bench/<file> with tsx and waits for its "ready" message (30 s at most). */
export async function forkWorker(file: string, label: string, env: Record<string, string>): Promise<ChildProcess> {
  const child = fork(fileURLToPath(new URL(`./${file}`, import.meta.url)), [], {
    execArgv: ["--import", "tsx"],
    env: { PATH: process.env.PATH ?? "", ...env },
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${label} did not get ready in 30 s`)), 30_000);
    child.once("message", () => {
      clearTimeout(timer);
      resolve();
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`${label} exited with ${code} before it was ready`));
    });
  });
  return child;
}

/** Closes the IPC channel (the child's cue to drain and exit); SIGKILL after 15 s. */
export async function stopWorker(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  child.disconnect();
  const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
  await exited;
  clearTimeout(timer);
}

/** Why the child is gone, or null while it runs. */
export function workerGone(child: ChildProcess, label: string): string | null {
  return child.exitCode !== null || child.signalCode !== null
    ? `${label} exited (code ${child.exitCode}, signal ${child.signalCode})`
    : null;
}
