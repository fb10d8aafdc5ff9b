/**
 * The `hookd` command line: one commander program whose commands each call a function in cli/ and resolve to an
 * exit status. Configuration stays in the environment (config/ reads it); `hookd <command> --help` lists every
 * setting with its default, so the help and docs/configuration.md never disagree.
 */
import { readFileSync } from "node:fs";
import { Command, Option } from "commander";
import { loadConfig, type Role, SETTINGS } from "../config/config.ts";
import { createLogger } from "../observability/logger.ts";
import { runAdminKeyCreate } from "./admin-key-create.ts";
import { runMigrate } from "./migrate.ts";
import { runRotateEncryptionKey } from "./rotate-encryption-key.ts";
import { runServe } from "./serve.ts";

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

export interface ProgramIo {
  env: Record<string, string | undefined>;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
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
  program.addHelpText("after", settingsHelp());

  program
    .command("serve")
    .description("run the HTTP API and the delivery workers (embedded: both in one process)")
    .addOption(
      new Option("--role <role>", "what this process runs (api and worker need PostgreSQL)")
        .choices(["all", "api", "worker"])
        .default("all"),
    )
    .addHelpText("after", settingsHelp())
    .action(async (opts: { role: Role }) => {
      status = await runServe(loadConfig(io.env), opts.role);
    });

  program
    .command("migrate")
    .description("apply database migrations and exit (serve migrates at start-up too)")
    .addHelpText("after", settingsHelp())
    .action(async () => {
      status = await runMigrate(loadConfig(io.env));
    });

  program
    .command("rotate-encryption-key")
    .description(
      "re-encrypt every endpoint secret under HOOKD_NEW_ENCRYPTION_KEY (embedded with a key file: a newly generated key)",
    )
    .addHelpText("after", settingsHelp())
    .action(async () => {
      const config = loadConfig(io.env);
      status = await runRotateEncryptionKey(config, {
        log: createLogger(config.logLevel),
        print: (line) => io.stdout(`${line}\n`),
      });
    });

  const adminKey = program.command("admin-key").description("admin API keys");
  adminKey
    .command("create")
    .description("mint a new admin API key in the store and print it once (no running server or key needed)")
    .addHelpText("after", settingsHelp())
    .action(async () => {
      status = await runAdminKeyCreate(loadConfig(io.env), (line) => io.stdout(`${line}\n`));
    });

  return {
    program,
    run: async (argv) => {
      // `hookd` alone serves, as `npm start` did before there were other commands.
      await program.parseAsync(argv.length <= 2 ? [...argv, "serve"] : argv);
      return status;
    },
  };
}


