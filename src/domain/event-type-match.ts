/**
 * Endpoint subscriptions: `*` (everything), exact names (`invoice.paid`) and prefix wildcards (`invoice.*`, which
 * matches `invoice.paid` and `invoice.line.added` but not `invoice` itself).
 */

/** 1 to 128 of letters, digits, dot, underscore and hyphen: safe in URLs, logs, headers and metric labels. */
export const EVENT_TYPE_PATTERN = "^[a-zA-Z0-9._-]{1,128}$";
export const EVENT_TYPE_FILTER_PATTERN = "^(\\*|[a-zA-Z0-9_-]+(\\.[a-zA-Z0-9_-]+)*(\\.\\*)?)$";

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
