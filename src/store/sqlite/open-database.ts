/**
 * Opens the embedded database file with the settings hookd relies on, and migrates it.
 *
 * WAL lets readers (the API) run while a writer commits; synchronous=FULL makes every acknowledged commit survive
 * power loss as well as a process crash, which is the promise behind answering 202. busy_timeout covers the short
 * moments when a checkpoint or another connection holds the write lock.
 */
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";
import { loadMigrations } from "../migration-files.ts";

export type SqliteDatabase = Database.Database;

export function sqlitePathFromUrl(url: string): string {
  const path = url.replace(/^sqlite:(\/\/)?/, "");
  if (path === "") throw new Error("sqlite URL needs a file path, e.g. sqlite:./data/hookd.db");
  return path;
}

export function openSqlite(path: string): SqliteDatabase {
  if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path);
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = FULL");
  db.pragma("foreign_keys = ON");
  db.pragma("busy_timeout = 5000");
  return db;
}

/**
 * Applies every migration not yet recorded. BEGIN IMMEDIATE takes SQLite's write lock before reading the ledger, so
 * two processes migrating the same file serialise instead of both applying a version.
 */
/** @param upTo apply versions up to this one only (the upgrade tests build a database as an older hookd left it). */
export function migrateSqlite(db: SqliteDatabase, upTo = Number.POSITIVE_INFINITY): void {
  db.exec(
    "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)",
  );
  const migrations = loadMigrations(new URL("./migrations/", import.meta.url));
  const applied = db.prepare("SELECT version FROM schema_migrations WHERE version = ?");
  const record = db.prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)");
  for (const m of migrations.filter((f) => f.version <= upTo)) {
    db.transaction(() => {
      if (applied.get(m.version)) return;
      record.run(m.version, m.name, Date.now());
      db.exec(m.sql);
    }).immediate();
  }
}
