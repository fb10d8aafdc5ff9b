/**
 * The adapter-independent arithmetic of the fair claim, shared by both stores so they split a claim the same way:
 * how many endpoints one claim visits, each endpoint's share of the claim, and the alternation of first attempts and
 * retries within an endpoint's share.
 */
import type { Admission, IsolationPolicy } from "./store.ts";

/**
 * Endpoints visited per claim: enough that a fresh delivery to a quiet endpoint is reached in the same claim as long
 * as fewer endpoints than this have pending or failed deliveries, and bounded so a claim stays cheap however many do.
 */
export function visitLimit(limit: number): number {
  return Math.min(1000, Math.max(32, limit * 4));
}

/**
 * Most rows one endpoint may take in a claim of `limit` over `endpoints` endpoints: twice the even split (so a claim
 * is not left short when some endpoints have little due), never under 2.
 */
export function shareOf(limit: number, endpoints: number): number {
  if (endpoints <= 1) return limit;
  return Math.max(2, Math.ceil((2 * limit) / endpoints));
}

/** First attempts and due retries take turns, so a retry storm never crowds out fresh events (or the reverse). */
export function interleaveFair(first: readonly string[], retries: readonly string[], max: number): string[] {
  const out: string[] = [];
  for (let i = 0; out.length < max && (i < first.length || i < retries.length); i++) {
    const a = first[i];
    const b = retries[i];
    if (a !== undefined) out.push(a);
    if (b !== undefined && out.length < max) out.push(b);
  }
  return out;
}

/** No isolation rules: every endpoint admitted in full, its configured timeout, no state change. */
export const NO_ISOLATION: IsolationPolicy = {
  admit: (c): Admission => ({ quota: Number.POSITIVE_INFINITY, timeoutMs: c.timeoutMs, settle: () => null }),
  observe: (state) => ({ state, disableReason: null }),
};
