/**
 * Re-encrypts endpoints' OAuth2 client secrets and TLS client keys (domain/endpoint-auth.ts) under the current master
 * key, page by page, each page one transaction of compare-and-set writes (a change through the API in between wins
 * and is left as it is), as reseal-headers.ts does for custom header values. `hookd rotate-encryption-key` runs it
 * beside the other two passes. These values were sealed from the day they existed, so there is no clear value to
 * seal at start-up (`scope: "legacy"` finds nothing to do).
 *
 * Values sealed under a key the box does not have are counted by key id and left untouched.
 */
import {
  MTLS_KEY_FIELD,
  mtlsFromStore,
  mtlsToStore,
  OAUTH2_SECRET_FIELD,
  oauth2FromStore,
  oauth2ToStore,
} from "../domain/endpoint-auth.ts";
import type { EndpointCredentialsChange } from "../store/ports/endpoint-credentials.ts";
import type { Store } from "../store/store.ts";
import type { ResealOptions, ResealReport } from "./reseal.ts";
import { isSealed, type SecretBox, sealedKeyId } from "./secret-box.ts";

export async function resealCredentials(store: Store, box: SecretBox, opts: ResealOptions): Promise<ResealReport> {
  const report: ResealReport = { examined: 0, rewritten: 0, raced: 0, unreadable: {} };
  const pageSize = opts.pageSize ?? 500;
  const wants = (v: string) => (opts.scope === "legacy" ? !isSealed(v) : !box.isCurrent(v));
  const unknownKey = (v: string | null) => (v !== null && isSealed(v) && !box.keyIds.includes(sealedKeyId(v) ?? "") ? sealedKeyId(v) : null);
  for (let after: string | null = null; ; ) {
    const page = await store.endpointCredentials.listEndpointCredentials(after, pageSize);
    if (page.length === 0) break;
    after = page[page.length - 1]!.id;
    const changes: EndpointCredentialsChange[] = [];
    for (const row of page) {
      report.examined++;
      const oauth2 = oauth2FromStore(row.oauth2);
      const mtls = mtlsFromStore(row.mtls);
      const sealed = [oauth2?.sealedClientSecret ?? null, mtls?.sealedKey ?? null];
      const missing = new Set(sealed.map(unknownKey).filter((k): k is string => k !== null));
      if (missing.size > 0) {
        for (const k of missing) report.unreadable[k] = (report.unreadable[k] ?? 0) + 1;
        continue;
      }
      if (!sealed.some((v) => v !== null && wants(v))) continue;
      const reseal = (v: string, field: string) => (wants(v) ? box.sealField(box.openField(v, row.id, field), row.id, field) : v);
      changes.push({
        expected: row,
        nextOAuth2: oauth2 === null ? null : oauth2ToStore({ ...oauth2, sealedClientSecret: reseal(oauth2.sealedClientSecret, OAUTH2_SECRET_FIELD) }),
        nextMtls:
          mtls === null ? null : mtlsToStore({ ...mtls, sealedKey: mtls.sealedKey === null ? null : reseal(mtls.sealedKey, MTLS_KEY_FIELD) }),
      });
    }
    if (changes.length > 0) {
      const applied = await store.endpointCredentials.replaceEndpointCredentials(changes);
      report.rewritten += applied;
      report.raced += changes.length - applied;
    }
    if (page.length < pageSize) break;
  }
  return report;
}
