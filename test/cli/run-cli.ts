/**
 * Runs the `hookd` command line in this process, as main.ts does but with its output captured: stdout, stderr, the
 * progress stream (not a terminal, so progress comes as lines) and the exit status main.ts would give.
 */
import { PassThrough } from "node:stream";
import { CommanderError } from "commander";
import { buildProgram } from "../../src/cli/program.ts";

export interface CliResult {
  status: number;
  stdout: string;
  stderr: string;
  progress: string;
}

export async function runCli(args: string[], env: Record<string, string | undefined> = {}): Promise<CliResult> {
  let stdout = "";
  let stderr = "";
  let progress = "";
  const progressStream = new PassThrough();
  progressStream.on("data", (c: Buffer) => (progress += c.toString()));
  const { run } = buildProgram({ env, stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), progress: progressStream });
  let status: number;
  try {
    status = await run(["node", "hookd", ...args]);
  } catch (err) {
    if (!(err instanceof CommanderError)) throw err;
    status = err.exitCode === 0 ? 0 : 2;
  }
  // Let the last progress chunk through the stream.
  await new Promise((resolve) => setImmediate(resolve));
  return { status, stdout, stderr, progress };
}

/** Splits a borderless table into rows of cells (two or more spaces apart). */
export function tableRows(text: string): string[][] {
  return text
    .trimEnd()
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => l.trim().split(/ {2,}/));
}
