/**
 * The two real stores the contract and end-to-end suites run against. Each call gives a fresh, migrated store:
 * a new SQLite file in a temp folder, or a new Postgres database cloned from the template.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openPostgresStore } from "../../src/store/postgres/postgres-store.ts";
import { SqliteStore } from "../../src/store/sqlite/sqlite-store.ts";
import type { Store } from "../../src/store/store.ts";
import { cloneTestDatabase } from "./postgres.ts";

export type StoreKind = "sqlite" | "postgres";
export const STORE_KINDS: StoreKind[] = ["sqlite", "postgres"];

export interface TestDatabase {
  /** HOOKD_DATABASE_URL for this database. */
  url: string;
  open(): Promise<Store>;
  destroy(): Promise<void>;
}

export async function createTestDatabase(kind: StoreKind): Promise<TestDatabase> {
  if (kind === "sqlite") {
    const dir = mkdtempSync(join(tmpdir(), "hookd-test-"));
    const url = `sqlite:${join(dir, "hookd.db")}`;
    return {
      url,
      open: async () => {
        const store = SqliteStore.open(url);
        await store.migrate();
        return store;
      },
      destroy: async () => rmSync(dir, { recursive: true, force: true }),
    };
  }
  const db = await cloneTestDatabase();
  return {
    url: db.url,
    open: async () => {
      const store = openPostgresStore({ url: db.url, poolSize: 4, onError: () => undefined });
      await store.migrate();
      return store;
    },
    destroy: db.drop,
  };
}
