/**
 * List commands show one page (hookd's lists are cursor-paged); the line under the table says how to get the next.
 */
import { usageError } from "../errors.ts";

export function parseLimit(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > 250) throw usageError(`--limit must be a whole number from 1 to 250, not ${JSON.stringify(text)}`);
  return n;
}

export const pageHint = (cursor: string | null | undefined) => (cursor ? `more: repeat with --cursor ${cursor}` : "");
