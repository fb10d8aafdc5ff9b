/**
 * `hookd admin-key create`: mints a new admin key straight in the store and prints it once. It needs no running
 * server and no key, only the same HOOKD_DATABASE_URL (and, with PostgreSQL, HOOKD_ENCRYPTION_KEY is not needed:
 * keys are hashed, not encrypted). Safe beside a running hookd: it is one insert.
 */
import { createStore } from "../app.ts";
import type { Config } from "../config/config.ts";
import { createAdminKey } from "../features/api-keys/bootstrap.ts";
import { createLogger } from "../observability/logger.ts";

export async function runAdminKeyCreate(config: Config, print: (line: string) => void, now = Date.now): Promise<number> {
  const log = createLogger(config.logLevel);
  const store = createStore(config, log);
  try {
    await store.migrate();
    const { id, key } = await createAdminKey(store, now());
    print(`created admin key ${id}. It is shown only this once (only its hash is stored):\n\n  ${key}\n`);
    return 0;
  } finally {
    await store.close();
  }
}
