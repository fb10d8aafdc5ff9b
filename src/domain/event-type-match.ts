/**
 * Endpoint subscriptions: `*` (everything), exact names (`invoice.paid`) and prefix wildcards (`invoice.*`, which
 * matches `invoice.paid` and `invoice.line.added` but not `invoice` itself).
 */

export const EVENT_TYPE_PATTERN = "^[a-zA-Z0-9_.:-]{1,128}$";
export const EVENT_TYPE_FILTER_PATTERN = "^(\\*|[a-zA-Z0-9_:-]+(\\.[a-zA-Z0-9_:-]+)*(\\.\\*)?)$";

/**
 * @example matchesEventType(["invoice.*"], "invoice.paid") // true
 */
export function matchesEventType(filters: readonly string[], type: string): boolean {
  for (const filter of filters) {
    if (filter === "*" || filter === type) return true;
    if (filter.endsWith(".*") && type.startsWith(filter.slice(0, -1))) return true;
  }
  return false;
}

/**
 * A subscription-style type filter as a condition a store can answer from a bytewise-ordered index: an exact name, a
 * half-open range for a prefix wildcard (`invoice.*` is every type from `invoice.` up to, not including, `invoice/`,
 * the next string after the prefix), or nothing for `*`.
 *
 * @example eventTypeCondition("invoice.*") // { kind: "range", from: "invoice.", to: "invoice/" }
 */
export function eventTypeCondition(
  filter: string,
): { kind: "any" } | { kind: "exact"; type: string } | { kind: "range"; from: string; to: string } {
  if (filter === "*") return { kind: "any" };
  if (!filter.endsWith(".*")) return { kind: "exact", type: filter };
  const from = filter.slice(0, -1);
  // The prefix ends in ".", so incrementing its last character gives the first string that no longer starts with it.
  const to = from.slice(0, -1) + String.fromCharCode(from.charCodeAt(from.length - 1) + 1);
  return { kind: "range", from, to };
}
