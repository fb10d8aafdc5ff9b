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
  /**
   * Retention of the delivery log, one tenant at a time (each has its own cutoff). Looks at the next `limit` of the
   * tenant's deliveries created before `before`, in id order after the cursor `after` (the caller's, so rows kept
   * are not read again), and deletes those that are finished (succeeded or dead) and that their endpoint's
   * stream has passed (seq <= acked_seq: the stream never reads them again, and sequence numbers come from the
   * scheduler row, not from the log), with their attempts and dead letters. Returns how many it looked at and
   * deleted, and the last id looked at.
   */
  deleteFinishedDeliveries(
    tenantId: string,
    before: number,
    after: string,
    limit: number,
  ): Promise<{ scanned: number; deleted: number; lastId: string | null }>;
  /**
   * Looks at the tenant's next `limit` events created before `before`, oldest first after the cursor, and deletes
   * those that have no delivery left (a delivery still kept keeps its event: it may be replayed).
   */
  deleteEventsWithoutDeliveries(
    tenantId: string,
    before: number,
    after: EventCursor | null,
    limit: number,
  ): Promise<{ scanned: number; deleted: number; last: EventCursor | null }>;
}

/** Where a retention walk over a tenant's events stands: the last event looked at. */
export interface EventCursor {
  createdAt: number;
  id: string;
}
