/**
 * Process entry: `hookd serve [--role all|api|worker]`, `hookd migrate`, `hookd rotate-encryption-key`, `hookd help`. Reads the environment through
 * config/, starts the requested role, and turns SIGTERM/SIGINT into a graceful drain. The only file that exits.
 */
import { parseArgs } from "node:util";
import { runMigrate } from "./cli/migrate.ts";
import { runRotateEncryptionKey } from "./cli/rotate-encryption-key.ts";
import { runServe } from "./cli/serve.ts";
import { ConfigError, loadConfig, type Role, SETTINGS } from "./config/config.ts";
import { createLogger } from "./observability/logger.ts";

const USAGE = `hookd: webhook delivery service

Usage:
  hookd serve [--role all|api|worker]   run the API and/or the delivery workers (default: all)
  hookd migrate                         apply database migrations and exit
  hookd rotate-encryption-key           re-encrypt every endpoint secret under HOOKD_NEW_ENCRYPTION_KEY
                                        (embedded with a key file: under a newly generated key) and exit
  hookd help                            show this text

Configuration (environment):
${SETTINGS.map((s) => `  ${s.env.padEnd(26)} ${s.doc}`).join("\n")}
`;

async function main(): Promise<number> {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: { role: { type: "string", default: "all" }, help: { type: "boolean", short: "h" } },
  });
  const command = positionals[0] ?? "serve";
  if (values.help || command === "help") {
    process.stdout.write(USAGE);
    return 0;
  }
  const role = values.role as Role;
  if (!["all", "api", "worker"].includes(role)) {
    process.stderr.write(`unknown --role ${role}; use all, api or worker\n`);
    return 2;
  }
  const config = loadConfig(process.env);
  if (command === "migrate") return runMigrate(config);
  if (command === "serve") return runServe(config, role);
  if (command === "rotate-encryption-key") {
    return runRotateEncryptionKey(config, {
      log: createLogger(config.logLevel),
      print: (line) => process.stdout.write(`${line}\n`),
    });
  }
  process.stderr.write(`unknown command ${command}\n\n${USAGE}`);
  return 2;
}

main().then(
  (code) => {
    // serve resolves only after a signal-driven shutdown; other commands are done.
    process.exitCode = code;
  },
  (err) => {
    if (err instanceof ConfigError) process.stderr.write(`hookd: ${err.message}\n`);
    else process.stderr.write(`hookd: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
