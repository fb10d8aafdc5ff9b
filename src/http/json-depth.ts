/**
 * A nesting limit for request bodies. V8's JSON.parse accepts any depth, but JSON.stringify recurses and overflows
 * the stack at a few thousand levels, and the services and stores stringify event data and metadata; without this
 * limit a deeply nested body is accepted by the parser and then fails as a 500 instead of a 400.
 */
export const MAX_JSON_DEPTH = 512;

/** True when `value` nests objects or arrays more than `max` levels deep. Iterative, so it cannot overflow itself. */
export function exceedsJsonDepth(value: unknown, max: number = MAX_JSON_DEPTH): boolean {
  if (value === null || typeof value !== "object") return false;
  const values: object[] = [value];
  const depths: number[] = [1];
  while (values.length > 0) {
    const current = values.pop()!;
    const depth = depths.pop()!;
    if (depth > max) return true;
    for (const child of Array.isArray(current) ? current : Object.values(current)) {
      if (child !== null && typeof child === "object") {
        values.push(child as object);
        depths.push(depth + 1);
      }
    }
  }
  return false;
}
