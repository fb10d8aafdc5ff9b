/**
 * What a deduplication store must do. Senders deliver at least once, so the same `webhook-id` can arrive twice: after
 * a timeout whose request did reach you, after a sender crash, or in a replay. A store remembers each id in one of
 * two states:
 *
 * - `processing`: claimed by a request that is handling it now. The claim expires by itself (`processingTtlMs`), so
 *   a receiver that crashed mid-way does not block the id for good.
 * - `done`: handled successfully; later copies are acknowledged without being handled again, for `ttlMs`.
 *
 * A failed handling releases the claim, so the sender's retry handles it afresh. Claims carry a token so that a
 * request whose claim expired cannot complete or release the claim of the request that took over.
 */

export type ClaimResult = { state: "claimed"; token: string } | { state: "processing" } | { state: "done" };

export interface DedupeStore {
  /** Atomically claims `id` unless it is already claimed or done. */
  claim(id: string, processingTtlMs: number): Promise<ClaimResult>;
  /** Marks a claimed id done for `ttlMs`. */
  complete(id: string, token: string, ttlMs: number): Promise<void>;
  /** Forgets a claim that failed, so the next copy is handled. */
  release(id: string, token: string): Promise<void>;
}
