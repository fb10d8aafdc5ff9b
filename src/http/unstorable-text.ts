/**
 * Text that a store cannot keep as it was sent: a NUL character (a PostgreSQL text value cannot hold one) or a UTF-16
 * surrogate without its partner (PostgreSQL's jsonb refuses the escape `\ud800`, and a text column would silently
 * turn it into U+FFFD). Such text is refused with a 400 on both stores, in any request body, instead of a 201 on
 * SQLite and a 500 on PostgreSQL (where the audit log's JSON insert failed).
 *
 * Event data is the one exception: it is kept as JSON text, byte for byte as published, so any JSON string travels
 * through hookd unchanged (an unpaired surrogate stays the escape `\ud800` in the stored and delivered text).
 */
import { AppError } from "../errors/app-error.ts";

/** A NUL, or a high surrogate not followed by a low one, or a low surrogate not preceded by a high one. */
// eslint-disable-next-line no-control-regex -- NUL is exactly what this looks for
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

export function isUnstorableText(value: string): boolean {
  return UNSTORABLE.test(value);
}

/**
 * The path (`body/metadata/k/0`) of the first key or string inside `value` that a store cannot keep, or null.
 * @param skip paths (relative, like `data` or `events/*\/data`) whose subtree is not looked at: event data.
 */
export function findUnstorableText(value: unknown, root: string, skip: (path: string[]) => boolean = () => false): string | null {
  const pending: { value: unknown; path: string[] }[] = [{ value, path: [] }];
  while (pending.length > 0) {
    const next = pending.pop()!;
    if (skip(next.path)) continue;
    const v = next.value;
    if (typeof v === "string") {
      if (isUnstorableText(v)) return [root, ...next.path].join("/");
    } else if (Array.isArray(v)) {
      v.forEach((child, i) => pending.push({ value: child, path: [...next.path, String(i)] }));
    } else if (v !== null && typeof v === "object") {
      for (const [key, child] of Object.entries(v)) {
        if (isUnstorableText(key)) return [root, ...next.path, key].join("/");
        pending.push({ value: child, path: [...next.path, key] });
      }
    }
  }
  return null;
}

/** Event data in the publish, batch and test-send bodies: `data`, and `events/<i>/data`. */
export function isEventData(path: string[]): boolean {
  return (path.length === 1 && path[0] === "data") || (path.length === 3 && path[0] === "events" && path[2] === "data");
}

/** @throws AppError VALIDATION_FAILED naming the field, when the body holds text a store cannot keep. */
export function checkStorableBody(body: unknown): void {
  const at = findUnstorableText(body, "body", isEventData);
  if (at !== null) {
    throw new AppError("VALIDATION_FAILED", "text may not contain NUL characters or unpaired UTF-16 surrogates", [
      { path: at, message: "contains a NUL character or an unpaired surrogate" },
    ]);
  }
}
