/**
 * Progress for commands that take more than a moment: a spinner (yocto-spinner) while the amount of work is unknown,
 * a bar (cli-progress) while it is known. Both draw on stderr, and only on a terminal, so stdout stays clean for
 * pipes. Off a terminal, a spinner prints its start and end lines and a bar prints one line per change, so logs and
 * CI output still show how far the work got.
 */
import type { Writable } from "node:stream";
import { Presets, SingleBar } from "cli-progress";
import yoctoSpinner from "yocto-spinner";

export type ProgressStream = Writable & { isTTY?: boolean };

export interface Spinner {
  succeed(text: string): void;
  fail(text: string): void;
  /** Removes the spinner, e.g. before printing a result. */
  stop(): void;
}

export function startSpinner(stream: ProgressStream, text: string): Spinner {
  // hookd stops itself on signals (serve) or is stopped by them (the other commands): the spinner must not exit.
  const spinner = yoctoSpinner({ text, stream, handleSignals: false }).start();
  return {
    succeed: (t) => void spinner.success(t),
    fail: (t) => void spinner.error(t),
    stop: () => void spinner.stop(),
  };
}

export interface ProgressBar {
  update(done: number, total: number, detail: string): void;
  stop(): void;
}

export function startProgressBar(stream: ProgressStream, label: string): ProgressBar {
  if (!stream.isTTY) {
    let last = "";
    return {
      update: (done, total, detail) => {
        const line = `${label}: ${done}/${total}${detail ? ` ${detail}` : ""}\n`;
        if (line !== last) stream.write(line);
        last = line;
      },
      stop: () => undefined,
    };
  }
  const bar = new SingleBar(
    { stream, format: `${label} [{bar}] {percentage}% {value}/{total} {detail}`, hideCursor: true, clearOnComplete: false },
    Presets.shades_classic,
  );
  let started = false;
  return {
    update: (done, total, detail) => {
      if (!started) bar.start(Math.max(total, 1), done, { detail });
      started = true;
      bar.setTotal(Math.max(total, 1));
      bar.update(done, { detail });
    },
    stop: () => {
      if (started) bar.stop();
    },
  };
}
