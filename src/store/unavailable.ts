/**
 * Whether an error means "the store cannot be reached right now" (retry later) rather than a bug. The HTTP layer
 * answers these with 503 and Retry-After instead of 500, and never with 202.
 */
const UNAVAILABLE_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "57P01", // admin_shutdown
  "57P02", // crash_shutdown
  "57P03", // cannot_connect_now
  "53300", // too_many_connections
  "57014", // query_canceled: statement_timeout
  "55P03", // lock_not_available: lock_timeout
  "SQLITE_BUSY",
  "SQLITE_FULL",
  "SQLITE_READONLY",
  "SQLITE_IOERR",
  "SQLITE_CANTOPEN",
]);

export function isStoreUnavailable(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown };
  if (typeof e?.code === "string") {
    // Extended SQLite codes too: SQLITE_BUSY_SNAPSHOT (another connection wrote since this one read) is as transient.
    if (UNAVAILABLE_CODES.has(e.code) || e.code.startsWith("08") || e.code.startsWith("SQLITE_IOERR") || e.code.startsWith("SQLITE_BUSY")) return true;
  }
  return typeof e?.message === "string" && /Connection terminated|timeout exceeded when trying to connect|Query read timeout/.test(e.message);
}
