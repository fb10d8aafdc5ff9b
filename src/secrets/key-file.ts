/**
 * The embedded shape's master key file, `<database file>.key`, used when HOOKD_ENCRYPTION_KEY is unset. One base64
 * key per line: the first seals, the others only open (they are there only while a key rotation runs, so a crash in
 * the middle never leaves a secret that no listed key opens). Written with mode 0600 through a temporary file and a
 * rename, so a reader sees the old file or the new one, never half of one.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, statSync, writeSync } from "node:fs";
import { dirname } from "node:path";
import { type MasterKey, masterKeyText, parseMasterKey } from "./master-key.ts";

export function keyFilePath(databasePath: string): string {
  return `${databasePath}.key`;
}

export class KeyFileError extends Error {}

/** The keys in the file, current first; null when there is no file. */
export function readKeyFile(path: string): MasterKey[] | null {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw err;
  }
  const lines = text.split("\n").map((l) => l.trim()).filter((l) => l !== "");
  if (lines.length === 0) throw new KeyFileError(`encryption key file ${path} is empty`);
  return lines.map((line, i) => {
    try {
      return parseMasterKey(line);
    } catch (err) {
      throw new KeyFileError(`encryption key file ${path}, line ${i + 1}: the key ${(err as Error).message}`);
    }
  });
}

/** True when group or others may read or write the file. */
export function keyFileIsExposed(path: string): boolean {
  return (statSync(path).mode & 0o077) !== 0;
}

/**
 * Writes the keys (current first) atomically with mode 0600.
 * @param exclusive fail with EEXIST instead of replacing an existing file (first creation)
 */
export function writeKeyFile(path: string, keys: readonly MasterKey[], exclusive = false): void {
  const text = `${keys.map(masterKeyText).join("\n")}\n`;
  // The key is written before the database is opened, so on a first start its folder may not exist yet.
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  if (exclusive) {
    const fd = openSync(path, "wx", 0o600);
    try {
      writeSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } else {
    const tmp = `${path}.tmp`;
    const fd = openSync(tmp, "w", 0o600);
    try {
      writeSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  }
  syncDirectory(dirname(path));
}

/** Makes the new directory entry durable, so a power cut cannot lose a key file whose secrets were committed. */
function syncDirectory(dir: string): void {
  const fd = openSync(dir, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
