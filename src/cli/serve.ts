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
  // Signal handlers go in before anything is announced: a supervisor (or a test) that sends SIGTERM the moment it
  // reads "hookd started" must get a drain, not the default action, however late this thread is scheduled. A signal
  // that arrives while hookd is still starting stops it as soon as it has started.
  let app: Awaited<ReturnType<typeof createApp>> | null = null;
  let signalled: string | null = null;
  let stopping = false;
  let stopped: () => void = () => {};
  const done = new Promise<void>((resolve) => {
    stopped = resolve;
  });
  const drain = (running: Awaited<ReturnType<typeof createApp>>, signal: string) => {
    stopping = true;
    log.info({ signal }, "shutting down: draining in-flight deliveries");
    running.close().then(stopped, (err: unknown) => {
      log.error({ err }, "error during shutdown");
      stopped();
    });
  };
  const onSignal = (signal: string) => {
    if (stopping) process.exit(1);
    if (app) drain(app, signal);
    else signalled ??= signal;
  };
  process.on("SIGTERM", () => onSignal("SIGTERM"));
  process.on("SIGINT", () => onSignal("SIGINT"));
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
  if (signalled !== null) drain(app, signalled);
  await done;
  log.info("hookd stopped");
  return 0;
}
