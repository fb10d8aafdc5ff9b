/**
 * `hookd serve`: start the role, print the generated admin key once if one was minted, and drain on SIGTERM or
 * SIGINT. A second signal during the drain exits at once.
 */
import { createApp, RoleError } from "../app.ts";
import { type Config, type Role, storeKind } from "../config/config.ts";
import { createLogger } from "../observability/logger.ts";

export async function runServe(config: Config, role: Role): Promise<number> {
  const log = createLogger(config.logLevel);
  // A rejection nobody handled means some job is in a state nobody planned for: carrying on could leave it stuck
  // (a loop that silently stopped) or half done. Exit and let the supervisor restart hookd; the crash tests show a
  // restart loses nothing. pino writes to stdout synchronously, so the fatal line is out before the exit.
  process.on("unhandledRejection", (err) => {
    log.fatal({ err }, "unhandled promise rejection; exiting so that the supervisor restarts hookd");
    process.exit(70);
  });
  let app: Awaited<ReturnType<typeof createApp>>;
  try {
    app = await createApp(config, { role, log, deliveryThread: config.deliveryThread });
  } catch (err) {
    if (err instanceof RoleError) {
      process.stderr.write(`hookd: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  if (app.generatedAdminKey) {
    process.stdout.write(
      `\nhookd: generated an admin API key. It is shown only this once (only its hash is stored):\n\n  ${app.generatedAdminKey}\n\n`,
    );
  }
  if (!app.generatedAdminKey && config.adminKey === null && role !== "worker") {
    process.stdout.write(
      "\nhookd: the admin API key was printed at the first start (only its hash is stored). Lost it? " +
        "`npm run hookd -- admin-key create` mints another, or set HOOKD_ADMIN_KEY.\n\n",
    );
  }
  if (app.generatedOperatorSecret) {
    process.stdout.write(
      `\nhookd: generated the operator webhook's signing secret (set HOOKD_OPERATOR_WEBHOOK_SECRET to choose one):\n\n  ${app.generatedOperatorSecret}\n\n`,
    );
  }
  log.info({ role, store: storeKind(config), url: app.url }, "hookd started");

  await new Promise<void>((resolve) => {
    let stopping = false;
    const onSignal = (signal: string) => {
      if (stopping) process.exit(1);
      stopping = true;
      log.info({ signal }, "shutting down: draining in-flight deliveries");
      app.close().then(resolve, (err) => {
        log.error({ err }, "error during shutdown");
        resolve();
      });
    };
    process.on("SIGTERM", () => onSignal("SIGTERM"));
    process.on("SIGINT", () => onSignal("SIGINT"));
  });
  log.info("hookd stopped");
  return 0;
}
