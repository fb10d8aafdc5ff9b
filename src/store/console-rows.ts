/**
 * What both console adapters share: turning capped counts and grouped stats rows into the port's shapes.
 */
import type { AttemptStatsTotals } from "../domain/attempt-stats.ts";
import { toTotals } from "./attempt-stats-columns.ts";
import type { CappedCount } from "./ports/console.ts";

/** A count taken with `LIMIT cap + 1`: one more than the cap means "at least cap". */
export function capped(n: number | string | bigint, cap: number): CappedCount {
  const value = Number(n);
  return value > cap ? { value: cap, capped: true } : { value, capped: false };
}

/** Rows grouped by bucket index `b` into a dense, oldest-first series of `buckets` entries. */
export function toSeries(rows: Record<string, number | string | null>[], buckets: number): AttemptStatsTotals[] {
  const out: AttemptStatsTotals[] = Array.from({ length: buckets }, () => toTotals({}));
  for (const r of rows) {
    const b = Math.floor(Number(r.b));
    if (b >= 0 && b < buckets) out[b] = toTotals(r as Record<string, number | null>);
  }
  return out;
}

/** (tenant, bucket, attempts, succeeded) rows into one dense series per tenant. */
export function toActivityBuckets(
  rows: { tenant_id: string; b: number | string; attempts: number | string; succeeded: number | string }[],
  tenantIds: string[],
  buckets: number,
): Map<string, { attempts: number; succeeded: number }[]> {
  const out = new Map(tenantIds.map((id) => [id, Array.from({ length: buckets }, () => ({ attempts: 0, succeeded: 0 }))]));
  for (const r of rows) {
    const series = out.get(r.tenant_id);
    const b = Math.floor(Number(r.b));
    if (series && b >= 0 && b < buckets) series[b] = { attempts: Number(r.attempts), succeeded: Number(r.succeeded) };
  }
  return out;
}
