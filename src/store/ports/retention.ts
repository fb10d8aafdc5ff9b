/** Retention: small, repeatable batches that keep storage bounded without long locks. */

export interface RetentionPort {
  /** Deletes up to `limit` per-minute stats rows of minutes before `before`; returns how many. */
  deleteAttemptStatsBefore(before: number, limit: number): Promise<number>;
  /** Deletes up to `limit` tasks that finished before `before` (never a queued or running one). */
  deleteFinishedTasksBefore(before: number, limit: number): Promise<number>;
  /**
   * Drops one event's payload now (idempotent); its deliveries still waiting become dead ("payload expunged"),
   * since there is nothing left to send. false when the tenant has no such event.
   */
  expungeEventPayload(tenantId: string, eventId: string, now: number): Promise<boolean>;
  /**
   * One small batch each, so no statement holds locks for long; each returns how many rows it changed, and the
   * caller repeats while a batch comes back full. Payloads: events created before `before` with no delivery still
   * waiting. Attempts: rows started before `before` (the delivery keeps its summary). Bodies: clears the response
   * bodies of the next `limit` attempts started in [from, before), oldest first, and returns how many it scanned and
   * the last one's start; `from` is the caller's watermark, so cleared rows are not read again.
   */
  expungePayloadsBefore(before: number, limit: number, now: number): Promise<number>;
  deleteAttemptsBefore(before: number, limit: number): Promise<number>;
  /** Forgets up to `limit` idempotency keys recorded before `before` (past their window); returns how many. */
  deleteIdempotencyKeysBefore(before: number, limit: number): Promise<number>;
  clearResponseBodies(from: number, before: number, limit: number): Promise<{ scanned: number; lastStartedAt: number | null }>;
}
