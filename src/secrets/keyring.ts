/**
 * Where the master keys come from, decided once at start-up:
 *
 * - `HOOKD_ENCRYPTION_KEY` seals and opens; `HOOKD_PREVIOUS_ENCRYPTION_KEYS` only open (for a rotation in progress).
 * - Embedded (SQLite) with no HOOKD_ENCRYPTION_KEY: the key file beside the database (key-file.ts), generated on
 *   first start with mode 0600 and logged (the path, never the key). With HOOKD_ENCRYPTION_KEY set, the keys of an
 *   existing key file still open what they sealed, so moving from the file to the variable needs no other step.
 * - PostgreSQL with no HOOKD_ENCRYPTION_KEY: refused. Several processes on several machines share the database; a
 *   key file generated on one of them would leave every other process unable to read the secrets it sealed.
 */
import type { Logger } from "pino";
import { type Config, storeKind } from "../config/config.ts";
import { sqlitePathFromUrl } from "../store/sqlite/open-database.ts";
import { keyFileIsExposed, keyFilePath, readKeyFile, writeKeyFile } from "./key-file.ts";
import { generateMasterKey, type MasterKey, parseMasterKey } from "./master-key.ts";
import { SecretBox } from "./secret-box.ts";

export class MissingEncryptionKeyError extends Error {}

type KeyConfig = Pick<Config, "databaseUrl" | "encryptionKey" | "previousEncryptionKeys">;

export interface KeySources {
  /** From HOOKD_ENCRYPTION_KEY, or null. */
  configured: MasterKey | null;
  previous: MasterKey[];
  /** The embedded key file's path (null for PostgreSQL and in-memory databases) and its keys, if it exists. */
  keyFile: { path: string; keys: MasterKey[] | null } | null;
}

export function keySources(config: KeyConfig): KeySources {
  let keyFile: KeySources["keyFile"] = null;
  if (storeKind(config) === "sqlite") {
    const dbPath = sqlitePathFromUrl(config.databaseUrl);
    if (dbPath !== ":memory:") keyFile = { path: keyFilePath(dbPath), keys: readKeyFile(keyFilePath(dbPath)) };
  }
  return {
    configured: config.encryptionKey === null ? null : parseMasterKey(config.encryptionKey),
    previous: config.previousEncryptionKeys.map(parseMasterKey),
    keyFile,
  };
}

/** The SecretBox a serving process uses; creates the embedded key file when it has to. */
export function openSecretBox(config: KeyConfig, log: Logger): SecretBox {
  const sources = keySources(config);
  const fileKeys = sources.keyFile?.keys ?? [];
  if (sources.configured) return new SecretBox(sources.configured, [...sources.previous, ...fileKeys]);

  if (storeKind(config) === "postgres") {
    throw new MissingEncryptionKeyError(
      "HOOKD_ENCRYPTION_KEY is required with PostgreSQL: every hookd process must encrypt and decrypt endpoint " +
        "secrets with the same key, so it cannot be generated per machine. Generate one with `openssl rand -base64 32` " +
        "and give the same value to every process.",
    );
  }
  const file = sources.keyFile;
  if (!file) {
    log.warn("no HOOKD_ENCRYPTION_KEY for an in-memory database: using a random key that lives as long as the process");
    return new SecretBox(generateMasterKey(), sources.previous);
  }
  if (file.keys) {
    if (keyFileIsExposed(file.path)) {
      log.warn({ path: file.path }, "encryption key file is readable by other users; restrict it with chmod 600");
    }
    const [current, ...older] = file.keys as [MasterKey, ...MasterKey[]];
    return new SecretBox(current, [...older, ...sources.previous]);
  }
  const key = generateMasterKey();
  writeKeyFile(file.path, [key], true);
  log.info(
    { path: file.path, key_id: key.id },
    "generated an encryption key for endpoint secrets (mode 0600); back it up with the database, which is unreadable " +
      "without it, or set HOOKD_ENCRYPTION_KEY",
  );
  return new SecretBox(key, sources.previous);
}
