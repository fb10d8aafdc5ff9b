/**
 * Runs a handler at most once per `webhook-id` (per store and expiry): the optional deduplication step of every
 * adapter, usable on its own too. See store.ts for the states an id goes through.
 */
import type { DedupeStore } from "./store.js";

export interface DeduperOptions {
  store: DedupeStore;
  /** How long a handled id is remembered (default 7 days: longer than hookd's default retries, about 2 days). */
  ttlMs?: number;
  /** How long a claim lasts while the handler runs (default 5 minutes); a crashed handler frees the id after it. */
  processingTtlMs?: number;
}

export type DedupeOutcome<T> =
  | { status: "handled"; value: T }
  /** Handled before: acknowledge it without doing the work again. */
  | { status: "duplicate" }
  /** Another request is handling it right now: answer with a retryable status so the sender tries again later. */
  | { status: "in_progress" };

export interface Deduper {
  /**
   * Runs `handle` unless `id` was handled or is being handled. `handle` decides success: it resolves to whether the
   * id counts as done (true) or should be handled again on the next copy (false); a throw releases the id too.
   */
  run<T>(id: string, handle: () => Promise<{ done: boolean; value: T }>): Promise<DedupeOutcome<T>>;
}

/**
 * @example
 * const dedupe = createDeduper({ store: new MemoryDedupeStore() });
 * const outcome = await dedupe.run(webhook.id, async () => ({ done: true, value: await fulfil(webhook.payload) }));
 */
export function createDeduper(options: DeduperOptions): Deduper {
  const ttlMs = options.ttlMs ?? 7 * 24 * 3600_000;
  const processingTtlMs = options.processingTtlMs ?? 5 * 60_000;
  const { store } = options;
  return {
    async run(id, handle) {
      const claim = await store.claim(id, processingTtlMs);
      if (claim.state === "done") return { status: "duplicate" };
      if (claim.state === "processing") return { status: "in_progress" };
      let result;
      try {
        result = await handle();
      } catch (err) {
        await store.release(id, claim.token);
        throw err;
      }
      if (result.done) await store.complete(id, claim.token, ttlMs);
      else await store.release(id, claim.token);
      return { status: "handled", value: result.value };
    },
  };
}
