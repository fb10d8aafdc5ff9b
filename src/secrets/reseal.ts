/**
 * Re-encrypts stored endpoint secrets, page by page, each page one transaction with compare-and-set writes (a
 * rotation through the API in between wins and is simply left as it is). Two uses:
 *
 * - At every start (`scope: "legacy"`): secrets stored in the clear by a hookd from before encryption at rest are
 *   sealed, so an upgraded database holds no clear secret after the first start.
 * - `hookd rotate-encryption-key` (`scope: "all"`): everything not sealed under the current key is re-sealed under
 *   it; once that pass finds nothing left, older keys are no longer needed. Interrupted, it simply runs again:
 *   finished rows are skipped.
 *
 * Either way, previous secrets whose overlap has ended are dropped, and values sealed under a key the box does not
 * have are counted (by key id) and left untouched rather than failing the pass.
 */
import type { EndpointSecretsChange, Store, StoredEndpointSecrets } from "../store/store.ts";
import { isSealed, type SecretBox, sealedKeyId } from "./secret-box.ts";

export interface ResealOptions {
  scope: "legacy" | "all";
  now: number;
  pageSize?: number;
}

export interface ResealReport {
  /** Endpoints looked at. */
  examined: number;
  /** Endpoints whose stored secrets were rewritten. */
  rewritten: number;
  /** Endpoints skipped because the API changed their secret meanwhile (a later pass picks them up). */
  raced: number;
  /** Endpoints with a value the box cannot open, by the missing key id. */
  unreadable: Record<string, number>;
}

export async function resealSecrets(store: Store, box: SecretBox, opts: ResealOptions): Promise<ResealReport> {
  const report: ResealReport = { examined: 0, rewritten: 0, raced: 0, unreadable: {} };
  const pageSize = opts.pageSize ?? 500;
  const wants = (v: string) => (opts.scope === "legacy" ? !isSealed(v) : !box.isCurrent(v));
  for (let after: string | null = null; ; ) {
    const page: StoredEndpointSecrets[] = await store.listEndpointSecrets(after, pageSize);
    if (page.length === 0) break;
    after = page[page.length - 1]!.id;
    const changes: EndpointSecretsChange[] = [];
    for (const row of page) {
      report.examined++;
      const expired = row.previousSecretExpiresAt !== null && row.previousSecretExpiresAt <= opts.now;
      const previous = expired ? null : row.previousSealedSecret;
      const missing = [row.sealedSecret, previous]
        .map((v) => (v !== null && isSealed(v) && !box.keyIds.includes(sealedKeyId(v) ?? "") ? sealedKeyId(v) : null))
        .filter((k): k is string => k !== null);
      if (missing.length > 0) {
        for (const k of new Set(missing)) report.unreadable[k] = (report.unreadable[k] ?? 0) + 1;
        continue;
      }
      const reseal = (v: string) => (wants(v) ? box.seal(box.open(v, row.id), row.id) : v);
      const next: EndpointSecretsChange = {
        expected: row,
        sealedSecret: reseal(row.sealedSecret),
        previousSealedSecret: previous === null ? null : reseal(previous),
        previousSecretExpiresAt: previous === null ? null : row.previousSecretExpiresAt,
      };
      if (next.sealedSecret !== row.sealedSecret || next.previousSealedSecret !== row.previousSealedSecret) {
        changes.push(next);
      }
    }
    if (changes.length > 0) {
      const applied = await store.replaceEndpointSecrets(changes);
      report.rewritten += applied;
      report.raced += changes.length - applied;
    }
    if (page.length < pageSize) break;
  }
  return report;
}

/** "2 endpoints under key 3f0c..., 1 under key 9a1b..." for error messages. */
export function describeUnreadable(unreadable: Record<string, number>): string {
  return Object.entries(unreadable)
    .map(([keyId, n]) => `${n} endpoint(s) under key ${keyId}`)
    .join(", ");
}
