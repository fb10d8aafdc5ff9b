/**
 * Keyset pagination shared by both adapters: fetch one row more than asked; if it exists there is a next page, and
 * its cursor is the last returned id (the API wraps it so callers treat it as opaque).
 */
import type { Page } from "../domain/types.ts";

export function toPage<T extends { id: string }>(rows: T[], limit: number): Page<T> {
  if (rows.length <= limit) return { data: rows, nextCursor: null };
  const data = rows.slice(0, limit);
  return { data, nextCursor: data[data.length - 1]?.id ?? null };
}
