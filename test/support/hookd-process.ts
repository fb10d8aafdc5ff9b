/**
 * Runs hookd as a real child process (`node --import tsx src/main.ts serve`), the way an operator does, so tests
 * can kill -9 it. The API URL is read from the "hookd started" log line (empty for a worker-only process).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

export interface HookdProcess {
  /** Empty for --role worker. */
  url: string;
  child: ChildProcess;
  output: () => string;
  kill9: () => Promise<void>;
  stop: () => Promise<number | null>;
}

/**
 * @param opts.cwd where the process runs (default: the repository); relative paths such as the default database
 *   `./data/hookd.db` resolve from there.
 * @param opts.preload modules the child imports before hookd (URLs or paths), for tests that need a fault inside it.
 */
export async function startHookd(
  env: Record<string, string>,
  args: string[] = ["serve"],
  opts: { cwd?: string; preload?: string[] } = {},
): Promise<HookdProcess> {
  const preload = (opts.preload ?? []).flatMap((m) => ["--import", m]);
  // tsx is resolved from the repository whatever the working directory.
  const child = spawn(process.execPath, ["--import", import.meta.resolve("tsx"), ...preload, `${ROOT}src/main.ts`, ...args], {
    cwd: opts.cwd ?? ROOT,
    env: { PATH: process.env.PATH ?? "", HOOKD_LOG_LEVEL: "info", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    // Generous: on a machine loaded by other jobs, a SQLite start (the delivery thread loads its own copy of the code)
    // took over 20 s; a process that never starts still fails here.
    const timer = setTimeout(() => reject(new Error(`hookd did not start in 60 s:\n${out}`)), 60_000);
    const onData = (chunk: Buffer) => {
      // Keep reading so the child never blocks on a full pipe, but hold only the recent output.
      out = (out + chunk.toString()).slice(-256 * 1024);
      // A worker-only process serves no API and logs "url":null.
      const m = /"url":(null|"(http:\/\/[^"]+)"),"msg":"hookd started"/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[2] ?? "");
      }
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`hookd exited with ${code} before starting:\n${out}`));
    });
  });
  return {
    url,
    child,
    output: () => out,
    kill9: async () => {
      child.kill("SIGKILL");
      await exited;
    },
    stop: async () => {
      child.kill("SIGTERM");
      return exited;
    },
  };
}
