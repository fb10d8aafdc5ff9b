/**
 * Numbered, forward-only migrations: `000001_init.sql`, `000002_...`. A file once released is never edited; a change
 * is a new file. Both adapters read their own folder through this loader.
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
  return files.map((file, index) => {
    const version = Number(file.slice(0, 6));
    if (version !== index + 1) throw new Error(`migration ${file} is out of sequence (expected ${index + 1})`);
    return { version, name: file, sql: readFileSync(new URL(file, dir), "utf8") };
  });
}
