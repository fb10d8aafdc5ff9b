/**
 * What every command that talks to the hookd API shares: the connection flags (`--url`, `--key`, and `--tenant`
 * where the command acts on one tenant) with their variables and defaults in `--help`, `--json`, and one way of
 * ending: the output on stdout, or a refusal as `hookd: CODE: message` on stderr and a non-zero status, never a
 * stack trace.
 */
import { type Command, Option } from "commander";
import { CLIENT_SETTINGS, clientSettingHelp } from "../../config/client-settings.ts";
import { CliError } from "../errors.ts";
import type { ProgramIo } from "../io.ts";
import { formatJson } from "../output/table.ts";
import { type Connection, connect } from "./connection.ts";

export interface CommandContext {
  io: ProgramIo;
  setStatus(code: number): void;
}

export interface Output {
  json: boolean;
  /** Prints hookd's answer as JSON with --json, otherwise the human form. */
  result(value: unknown, human: () => string): void;
  /** A line for people only (a hint, a warning); skipped with --json so the output stays one JSON document. */
  note(text: string): void;
  io: ProgramIo;
}

/** The variables every API command reads, listed under its help. */
export function connectionHelp(tenant: boolean): string {
  const names = (["url", "key", ...(tenant ? ["tenant" as const] : [])] as const).map((n) => CLIENT_SETTINGS[n]);
  const lines = names.map((s) => `  ${s.env.padEnd(16)} ${s.doc}${s.default === null ? "" : ` [default: ${s.default}]`}`);
  return `\nEnvironment (a flag wins over its variable):\n${lines.join("\n")}\n`;
}

/** Adds the connection flags and --json to `cmd`. */
export function withConnection(cmd: Command, opts: { tenant: boolean }): Command {
  cmd
    .addOption(new Option("--url <url>", clientSettingHelp("url")))
    .addOption(new Option("--key <key>", clientSettingHelp("key")));
  if (opts.tenant) cmd.addOption(new Option("--tenant <id>", clientSettingHelp("tenant")));
  return cmd.option("--json", "print hookd's answer as JSON instead of a table").addHelpText("after", connectionHelp(opts.tenant));
}

/**
 * The action for an API command: connects with the command's flags, runs `fn`, and turns a CliError into its
 * message and exit status.
 */
export function apiAction<A extends unknown[]>(
  ctx: CommandContext,
  fn: (conn: Connection, out: Output, ...args: A) => Promise<void>,
): (...args: unknown[]) => Promise<void> {
  return async (...args: unknown[]) => {
    const cmd = args[args.length - 1] as Command;
    const flags = cmd.opts<{ url?: string; key?: string; tenant?: string; json?: boolean }>();
    const json = flags.json === true;
    const out: Output = {
      json,
      io: ctx.io,
      result: (value, human) => ctx.io.stdout(json ? formatJson(value) : human()),
      note: (text) => {
        if (!json && text) ctx.io.stdout(text.endsWith("\n") ? text : `${text}\n`);
      },
    };
    try {
      await fn(connect(ctx.io.env, flags), out, ...(args.slice(0, -1) as A));
    } catch (err) {
      if (!(err instanceof CliError)) throw err;
      ctx.io.stderr(`hookd: ${err.code ? `${err.code}: ` : ""}${err.message}\n`);
      ctx.setStatus(err.exitCode);
    }
  };
}
