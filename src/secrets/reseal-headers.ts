/**
 * Re-encrypts endpoints' custom header values, page by page, each page one transaction of compare-and-set writes
 * (a change through the API in between wins and is left as it is), exactly as reseal.ts does for signing secrets:
 *
 * - at every start (`scope: "legacy"`), values stored in the clear by a hookd from before header encryption are
 *   sealed, so an upgraded database holds no clear header value after the first start;
 * - `hookd rotate-encryption-key` (`scope: "all"`) re-seals everything not under the current key.
 *
 * Values sealed under a key the box does not have are counted by key id and left untouched.
 */
import type { EndpointHeadersChange } from "../store/ports/endpoint-headers.ts";
import type { Store } from "../store/store.ts";
import type { ResealOptions, ResealReport } from "./reseal.ts";
import { isSealed, type SecretBox, sealedKeyId } from "./secret-box.ts";

export async function resealHeaders(store: Store, box: SecretBox, opts: ResealOptions): Promise<ResealReport> {
  const report: ResealReport = { examined: 0, rewritten: 0, raced: 0, unreadable: {} };
  const pageSize = opts.pageSize ?? 500;
  const wants = (v: string) => (opts.scope === "legacy" ? !isSealed(v) : !box.isCurrent(v));
  for (let after: string | null = null; ; ) {
    const page = await store.listEndpointHeaders(after, pageSize);
    if (page.length === 0) break;
    after = page[page.length - 1]!.id;
    const changes: EndpointHeadersChange[] = [];
    for (const row of page) {
      report.examined++;
      const values = Object.values(row.headers);
      const missing = new Set(
        values.map((v) => (isSealed(v) && !box.keyIds.includes(sealedKeyId(v) ?? "") ? sealedKeyId(v) : null)).filter((k) => k !== null),
      );
      if (missing.size > 0) {
        for (const k of missing) report.unreadable[k] = (report.unreadable[k] ?? 0) + 1;
        continue;
      }
      if (!values.some(wants)) continue;
      const headers = Object.fromEntries(
        Object.entries(row.headers).map(([name, v]) => [name, wants(v) ? box.sealHeader(box.openHeader(v, row.id, name), row.id, name) : v]),
      );
      changes.push({ id: row.id, version: row.version, headers });
    }
    if (changes.length > 0) {
      const applied = await store.replaceEndpointHeaders(changes);
      report.rewritten += applied;
      report.raced += changes.length - applied;
    }
    if (page.length < pageSize) break;
  }
  return report;
}
