/**
 * Where the command line reads its environment and writes its output. main.ts passes the process's own; tests pass
 * their own to run commands in-process and read what they printed.
 */
import type { ProgressStream } from "./output/progress.ts";

export interface ProgramIo {
  env: Record<string, string | undefined>;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** Spinners and progress bars: stderr, drawn only when it is a terminal. */
  progress: ProgressStream;
  /** Stops a long-running command (`hookd listen`); unset, it stops on SIGINT or SIGTERM. */
  signal?: AbortSignal;
}
