/**
 * Process entry: runs the `hookd` command line (cli/program.ts) and turns its result into an exit status. The only
 * file that exits.
 */
import { CommanderError } from "commander";
import { buildProgram } from "./cli/program.ts";
import { ConfigError } from "./config/config.ts";

// A reader that stops early (`hookd --help | head -1`, `hookd deliveries list | head`) closes the pipe: the rest of
// the output has nowhere to go, which is the reader's choice, not a failure. Exit quietly instead of with a stack.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (err: NodeJS.ErrnoException) => {
    if (err.code !== "EPIPE") throw err;
    process.exit(typeof process.exitCode === "number" ? process.exitCode : 0);
  });
}

const { run } = buildProgram({
  env: process.env,
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  progress: process.stderr,
});

run(process.argv).then(
  (code) => {
    // serve resolves only after a signal-driven shutdown; other commands are done.
    process.exitCode = code;
  },
  (err) => {
    // --help and --version end in a CommanderError with exit code 0; usage errors (printed already) exit 2.
    if (err instanceof CommanderError) {
      process.exitCode = err.exitCode === 0 ? 0 : 2;
      return;
    }
    if (err instanceof ConfigError) process.stderr.write(`hookd: ${err.message}\n`);
    else process.stderr.write(`hookd: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
