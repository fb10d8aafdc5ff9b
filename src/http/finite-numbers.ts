/**
 * JSON.parse turns `1e309` into Infinity, and the schema validator coerces a query string like `?limit=1e309` to
 * Infinity as well; ajv's integer, minimum and maximum checks all let Infinity through. Left alone it reaches the
 * store and fails there as a 500 (SQLite: "datatype mismatch"). The HTTP layer refuses any non-finite number in a
 * body or query with this check instead.
 */

/** True when `value` holds Infinity, -Infinity or NaN anywhere inside. Iterative, so deep input cannot overflow it. */
export function hasNonFiniteNumber(value: unknown): boolean {
  const pending: unknown[] = [value];
  while (pending.length > 0) {
    const current = pending.pop();
    if (typeof current === "number") {
      if (!Number.isFinite(current)) return true;
    } else if (current !== null && typeof current === "object") {
      for (const child of Array.isArray(current) ? current : Object.values(current)) {
        if (typeof child === "number" || (child !== null && typeof child === "object")) pending.push(child);
      }
    }
  }
  return false;
}
