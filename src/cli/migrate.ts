/**
 * `hookd migrate`: apply pending migrations and exit. Safe to run while other hookd processes are up.
 */
import { createStore } from "../app.ts";
import type { Config } from "../config/config.ts";
import { createLogger } from "../observability/logger.ts";

export async function runMigrate(config: Config): Promise<number> {
  const log = createLogger(config.logLevel);
  const store = createStore(config, log);
  try {
    await store.migrate();
    log.info({ store: store.kind }, "migrations applied");
    return 0;
  } finally {
    await store.close();
  }
}
