/**
 * Recognises a foreign-key violation from either driver. Through the API the only parent a write can lose between
 * the route's existence check and its insert is the tenant (deleted concurrently): the HTTP layer answers that as
 * 404 TENANT_NOT_FOUND instead of a 500. (Ingest handles its own case, an endpoint deleted mid-ingest, by retrying.)
 */
export function isForeignKeyViolation(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  // PostgreSQL SQLSTATE foreign_key_violation; better-sqlite3's extended result code.
  return code === "23503" || code === "SQLITE_CONSTRAINT_FOREIGNKEY";
}
