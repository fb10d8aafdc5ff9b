/**
 * The `hookd` command line: one commander program whose commands each call a function in cli/ and resolve to an
 * exit status. Two kinds of command:
 * - server commands (serve, migrate, rotate-encryption-key, admin-key create) work on the store directly and take
 *   their configuration from the environment (config/ reads it); their `--help` lists every setting with its
 *   default, so the help and docs/configuration.md never disagree;
 * - resource commands (tenants, endpoints, events, deliveries, replay, recover, listen; cli/api/) talk to a running
 *   hookd over its HTTP API with `--url`, `--key` and `--tenant`, whose variables and defaults their `--help` shows.
 */
import { readFileSync } from "node:fs";
import { Command, Option } from "commander";
import { loadConfig, type Role, SETTINGS } from "../config/config.ts";
import { createLogger } from "../observability/logger.ts";
import { runAdminKeyCreate } from "./admin-key-create.ts";
import { connectionHelp } from "./api/command.ts";
import { deliveriesCommand } from "./api/deliveries.ts";
import { endpointsCommand } from "./api/endpoints.ts";
import { eventsCommand } from "./api/events.ts";
import { listenCommand } from "./api/listen.ts";
import { recoverCommand } from "./api/recover.ts";
import { replayCommand } from "./api/replay.ts";
import { tenantsCommand } from "./api/tenants.ts";
import type { ProgramIo } from "./io.ts";
import { runMigrate } from "./migrate.ts";
import { runOutboxInstall } from "./outbox-install.ts";
import { startSpinner } from "./output/progress.ts";
import { runRotateEncryptionKey } from "./rotate-encryption-key.ts";
import { runServe } from "./serve.ts";

export type { ProgramIo } from "./io.ts";

export function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string };
  return pkg.version;
}

/** The settings table printed under every command's help. */
export function settingsHelp(): string {
  const lines = SETTINGS.map((s) => {
    const def = "defaultText" in s && s.defaultText !== undefined ? s.defaultText : s.default;
    const shown =
      def === null
        ? "unset"
        : Array.isArray(def)
          ? def.length === 0
            ? "none"
            : def.map((d: unknown) => (typeof d === "object" && d !== null ? JSON.stringify(d) : String(d))).join(",")
          : typeof def === "object"
            ? JSON.stringify(def)
            : String(def);
    return `  ${s.env.padEnd(34)} ${s.doc} [default: ${shown}]`;
  });
  return `\nConfiguration (environment variables):\n${lines.join("\n")}\n`;
}

/**
 * Builds the program; `run` parses argv and resolves to the exit status.
 * @example await buildProgram(io).run(["node", "hookd", "--version"]) // prints 0.1.0, resolves 0
 */
export function buildProgram(io: ProgramIo): { program: Command; run: (argv: string[]) => Promise<number> } {
  let status = 0;
  const program = new Command("hookd")
    .description("hookd: a self-hostable webhook delivery service")
    .version(packageVersion(), "-v, --version", "print the version")
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .showHelpAfterError("(run hookd --help for the commands)")
    .exitOverride();
  program.addHelpText("after", `${settingsHelp()}${connectionHelp(true).replace("Environment", "Resource commands' environment")}`);

  program
    .command("serve")
    .description("run the HTTP API and the delivery workers (embedded: both in one process)")
    .addOption(
      new Option("--role <role>", "what this process runs (api and worker need PostgreSQL)")
        .choices(["all", "api", "worker"])
        .default("all"),
    )
    .option(
      "--outbox <url>",
      "relay the hookd_outbox table of this producer database (postgres://...); repeatable, adds to HOOKD_OUTBOX_URLS",
      (value: string, previous: string[]) => [...previous, value],
      [] as string[],
    )
    .addHelpText("after", settingsHelp())
    .action(async (opts: { role: Role; outbox: string[] }) => {
      const config = loadConfig(io.env);
      const bad = opts.outbox.filter((u) => !/^postgres(ql)?:\/\//.test(u));
      if (bad.length > 0) {
        io.stderr("hookd: --outbox takes postgres:// URLs\n");
        status = 2;
        return;
      }
      status = await runServe(loadConfig(io.env, { outboxUrls: [...config.outboxUrls, ...opts.outbox] }), opts.role);
    });

  program
    .command("migrate")
    .description("apply database migrations and exit (serve migrates at start-up too)")
    .addHelpText("after", settingsHelp())
    .action(async () => {
      const config = loadConfig(io.env);
      const spinner = startSpinner(io.progress, "applying database migrations");
      try {
        status = await runMigrate(config);
        spinner.succeed("database migrations applied");
      } catch (err) {
        spinner.fail("database migrations failed");
        throw err;
      }
    });

  program
    .command("rotate-encryption-key")
    .description(
      "re-encrypt every endpoint secret under HOOKD_NEW_ENCRYPTION_KEY (embedded with a key file: a newly generated key)",
    )
    .addHelpText("after", settingsHelp())
    .action(async () => {
      const config = loadConfig(io.env);
      // The spinner runs until the first line of the result, which replaces it.
      const spinner = startSpinner(io.progress, "re-encrypting endpoint secrets and header values");
      let spinning = true;
      const stop = () => {
        if (spinning) spinner.stop();
        spinning = false;
      };
      try {
        status = await runRotateEncryptionKey(config, {
          log: createLogger(config.logLevel),
          print: (line) => {
            stop();
            io.stdout(`${line}\n`);
          },
        });
      } finally {
        stop();
      }
    });

  // The outbox commands act on a producer's database, never on hookd's, so they read no HOOKD_* settings.
  const noEnvironment = "\nEnvironment:\n  none: the producer's database is given with --database-url; serve relays it with --outbox or HOOKD_OUTBOX_URLS\n";
  const outboxCommand = program
    .command("outbox")
    .description("the transactional outbox for producers (PostgreSQL)")
    .addHelpText("after", noEnvironment);
  outboxCommand
    .command("install")
    .description("create the hookd_outbox table and its notify trigger in a producer's database (safe to repeat)")
    .addHelpText("after", noEnvironment)
    .option("--database-url <url>", "the producer's database (postgres://...)")
    .option("--print", "print the SQL instead of running it, for your own migration tool")
    .action(async (opts: { databaseUrl?: string; print?: boolean }) => {
      status = await runOutboxInstall(opts, io);
    });

  const adminKey = program.command("admin-key").description("admin API keys").addHelpText("after", settingsHelp());
  adminKey
    .command("create")
    .description("mint a new admin API key in the store and print it once (no running server or key needed)")
    .addHelpText("after", settingsHelp())
    .action(async () => {
      status = await runAdminKeyCreate(loadConfig(io.env), (line) => io.stdout(`${line}\n`));
    });

  const ctx = { io, setStatus: (code: number) => (status = code) };
  // Commands built apart are added with addCommand, which (unlike .command()) leaves them commander's defaults: give
  // them, and their subcommands, the program's output, exit handling and error hint.
  const inherit = (cmd: Command, parent: Command) => {
    cmd.copyInheritedSettings(parent);
    for (const sub of cmd.commands) inherit(sub, cmd);
  };
  for (const build of [tenantsCommand, endpointsCommand, eventsCommand, deliveriesCommand, replayCommand, recoverCommand, listenCommand]) {
    const command = build(ctx);
    inherit(command, program);
    program.addCommand(command);
  }

  return {
    program,
    run: async (argv) => {
      // `hookd` alone serves, as `npm start` did before there were other commands.
      await program.parseAsync(argv.length <= 2 ? [...argv, "serve"] : argv);
      return status;
    },
  };
}


