/**
 * Pagination cursors are opaque to callers: base64url of the last id seen, with a version prefix so the format can
 * change without breaking cursors that clients hold.
 */
import { CALLER_ID_PATTERN } from "../domain/ids.ts";
import { AppError } from "../errors/app-error.ts";

/** Every listing pages by id, and every id (generated or caller-chosen) has this shape. */
const CURSOR_ID = new RegExp(CALLER_ID_PATTERN);

export function encodeCursor(lastId: string | null): string | null {
  return lastId === null ? null : Buffer.from(`v1:${lastId}`, "utf8").toString("base64url");
}

/** @param pattern what the decoded value must look like: an id, unless the listing pages by something else. */
export function decodeCursor(cursor: string | undefined, pattern: RegExp = CURSOR_ID): string | null {
  if (cursor === undefined || cursor === "") return null;
  const text = Buffer.from(cursor, "base64url").toString("utf8");
  if (!text.startsWith("v1:") || !pattern.test(text.slice(3))) {
    throw new AppError("INVALID_CURSOR", "cursor is not valid");
  }
  return text.slice(3);
}
