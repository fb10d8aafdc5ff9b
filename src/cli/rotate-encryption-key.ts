/**
 * `hookd rotate-encryption-key`: re-encrypts every endpoint secret, custom header value, OAuth2 client secret and TLS
 * client key under a new master key, after which the old key is no longer needed.
 *
 * The new key comes from HOOKD_NEW_ENCRYPTION_KEY (an environment variable, not an argument, so it never shows in
 * `ps` or a shell history). The keys that open today's values are HOOKD_ENCRYPTION_KEY, HOOKD_PREVIOUS_ENCRYPTION_KEYS
 * and, embedded, the key file. Without HOOKD_NEW_ENCRYPTION_KEY:
 * - embedded with a key file and no HOOKD_ENCRYPTION_KEY, a new key is generated and the file is rotated in place;
 * - with HOOKD_PREVIOUS_ENCRYPTION_KEYS set, HOOKD_ENCRYPTION_KEY is the target (finishing a rolled-out rotation).
 *
 * Secrets are re-encrypted in pages, each page one transaction with compare-and-set writes (see secrets/reseal.ts),
 * so the command can run beside live processes and, if interrupted, simply runs again. A key file is rewritten
 * twice: first with the new key in front of the old ones (so a crash at any point leaves a file that opens every
 * stored value), and only after the last page with the new key alone.
 */
import type { Logger } from "pino";
import { createStore } from "../app.ts";
import type { Config } from "../config/config.ts";
import { writeKeyFile } from "../secrets/key-file.ts";
import { keySources } from "../secrets/keyring.ts";
import { generateMasterKey, type MasterKey, parseMasterKey } from "../secrets/master-key.ts";
import { resealCredentials } from "../secrets/reseal-credentials.ts";
import { resealHeaders } from "../secrets/reseal-headers.ts";
import { describeUnreadable, resealSecrets } from "../secrets/reseal.ts";
import { SecretBox } from "../secrets/secret-box.ts";

export interface RotateOutput {
  log: Logger;
  /** Lines for the operator (stdout). */
  print: (line: string) => void;
}

/** Exit status: 0 done, 1 some secret could not be re-encrypted, 2 nothing to rotate to. */
export async function runRotateEncryptionKey(config: Config, out: RotateOutput, now: () => number = Date.now): Promise<number> {
  const sources = keySources(config);
  const fileKeys = sources.keyFile?.keys ?? [];
  const usesKeyFile = sources.configured === null && sources.keyFile !== null;
  const known: MasterKey[] = [...(sources.configured ? [sources.configured] : []), ...sources.previous, ...fileKeys];

  let target: MasterKey;
  if (config.newEncryptionKey !== null) target = parseMasterKey(config.newEncryptionKey);
  else if (usesKeyFile && fileKeys.length > 0) target = generateMasterKey();
  else if (sources.configured && sources.previous.length > 0) target = sources.configured;
  else if (usesKeyFile) {
    out.print(`hookd: there is no key yet (${sources.keyFile?.path} does not exist); hookd creates it at its first start.`);
    return 2;
  } else {
    out.print(
      "hookd: nothing to rotate to. Set HOOKD_NEW_ENCRYPTION_KEY (generate one with `openssl rand -base64 32`) " +
        "next to the current HOOKD_ENCRYPTION_KEY.",
    );
    return 2;
  }

  const keyFile = usesKeyFile ? sources.keyFile : null;
  // The new key goes into the file before any value is sealed with it.
  if (keyFile) writeKeyFile(keyFile.path, [target, ...known.filter((k) => k.id !== target.id)]);

  const box = new SecretBox(target, known.filter((k) => k.id !== target.id));
  const store = createStore(config, out.log);
  try {
    await store.migrate();
    // Signing secrets, custom header values, OAuth2 client secrets and TLS client keys alike; rows the API changed
    // meanwhile were skipped, and a later pass seals them too (they rarely race twice).
    const pass = async () => {
      const secrets = await resealSecrets(store, box, { scope: "all", now: now() });
      for (const other of [
        await resealHeaders(store, box, { scope: "all", now: now() }),
        await resealCredentials(store, box, { scope: "all", now: now() }),
      ]) {
        for (const [k, n] of Object.entries(other.unreadable)) secrets.unreadable[k] = (secrets.unreadable[k] ?? 0) + n;
        secrets.rewritten += other.rewritten;
        secrets.raced += other.raced;
      }
      return secrets;
    };
    let report = await pass();
    let rewritten = report.rewritten;
    for (let n = 1; report.raced > 0 && n < 5; n++) {
      report = await pass();
      rewritten += report.rewritten;
    }
    if (Object.keys(report.unreadable).length > 0 || report.raced > 0) {
      out.print(
        `hookd: re-encrypted ${rewritten} endpoint(s), but not all: ${describeUnreadable(report.unreadable) || `${report.raced} kept changing`}. ` +
          "Provide the missing key in HOOKD_PREVIOUS_ENCRYPTION_KEYS and run the command again; keep the old key until then.",
      );
      return 1;
    }
    if (keyFile) writeKeyFile(keyFile.path, [target]);
    out.log.info({ key_id: target.id, rewritten, examined: report.examined }, "endpoint secrets re-encrypted");
    out.print(`hookd: re-encrypted ${rewritten} endpoint secret(s); all ${report.examined} now use key ${target.id}.`);
    if (keyFile) {
      out.print(`hookd: ${keyFile.path} now holds only the new key; the old one is no longer needed.`);
    } else {
      out.print(
        "hookd: set HOOKD_ENCRYPTION_KEY to the new key in every hookd process and remove the old key (from " +
          "HOOKD_PREVIOUS_ENCRYPTION_KEYS too); it is no longer needed.",
      );
    }
    return 0;
  } finally {
    await store.close();
  }
}
