/**
 * Numbered, forward-only migrations: `000001_init.sql`, `000002_...`. A file once released is never edited; a change
 * is a new file. Both adapters read their own folder through this loader. Numbers may leave gaps (features developed
 * side by side take separate ranges); the migrators apply each version missing from their ledger, in order.
 */
import { readdirSync, readFileSync } from "node:fs";

export interface MigrationFile {
  version: number;
  name: string;
  sql: string;
}

export function loadMigrations(dir: URL): MigrationFile[] {
  const files = readdirSync(dir)
    .filter((f) => /^\d{6}_[a-z0-9_]+\.sql$/.test(f))
    .sort();
  let previous = 0;
  return files.map((file) => {
    const version = Number(file.slice(0, 6));
    if (version <= previous) throw new Error(`migration ${file} repeats version ${version}`);
    previous = version;
    return { version, name: file, sql: readFileSync(new URL(file, dir), "utf8") };
  });
}
