/**
 * The access tokens a worker holds, one per endpoint with OAuth2 client credentials, in process memory.
 *
 * - A token is fetched when a delivery first needs it and shared by every delivery to the endpoint after that; while
 *   a fetch is under way, other deliveries wait for the same one (one request to the token endpoint, not one each).
 * - It is refreshed before it expires: once 80% of its lifetime has passed, or 60 s before it expires when that is
 *   later (a one-hour token is used for 59 minutes). If that refresh fails while the token is still valid, the old
 *   one is used and the next delivery tries again. A token whose lifetime the server did not say is kept for 5 min.
 * - A 401 from the endpoint drops the token it was sent with (`invalidate`), so the next request fetches a new one;
 *   the attempt retries once with it (delivery/attempt.ts).
 * - A change of the endpoint's OAuth2 settings (new client, secret, scopes, token URL) is a new stored text, which
 *   does not match the cached entry's, so the old token is never used with the new settings.
 *
 * Per process: each worker (and the embedded delivery thread) fetches its own tokens; with N workers owning an
 * endpoint over time a token endpoint sees at most N fetches per token lifetime. The cache keeps the most recently
 * used endpoints, LRU_LIMIT of them.
 */
import { LRUCache } from "lru-cache";
import type { AccessToken } from "./oauth2-token.ts";

const LRU_LIMIT = 10_000;
/** How long a token without `expires_in` is used before a new one is fetched. */
export const DEFAULT_TOKEN_LIFETIME_S = 300;
const REFRESH_AT_FRACTION = 0.8;
const REFRESH_MARGIN_MS = 60_000;

interface Entry {
  /** The stored settings this token was fetched with. */
  settings: string;
  token: string;
  refreshAt: number;
  expiresAt: number;
}

export type TokenFetch = () => Promise<AccessToken>;

export class OAuth2Tokens {
  private readonly tokens = new LRUCache<string, Entry>({ max: LRU_LIMIT });
  private readonly fetching = new Map<string, { settings: string; promise: Promise<Entry> }>();

  constructor(private readonly now: () => number = Date.now) {}

  /**
   * A token for the endpoint: the cached one while it is fresh, else a new one from `fetch` (shared with every
   * caller asking meanwhile).
   * @param settings the endpoint's stored OAuth2 settings; a token fetched with others is not used
   * @throws whatever `fetch` throws, when there is no valid token to fall back on
   */
  async get(endpointId: string, settings: string, fetch: TokenFetch): Promise<string> {
    const now = this.now();
    const cached = this.tokens.get(endpointId);
    const usable = cached !== undefined && cached.settings === settings && now < cached.expiresAt ? cached : null;
    if (usable !== null && now < usable.refreshAt) return usable.token;
    try {
      return (await this.fetchShared(endpointId, settings, fetch)).token;
    } catch (err) {
      // A refresh that failed early is no reason to fail a delivery the current token can still make.
      if (usable !== null && this.now() < usable.expiresAt) return usable.token;
      throw err;
    }
  }

  /** Forgets the endpoint's token if it is still `token` (a 401 said it is no good). */
  invalidate(endpointId: string, token: string): void {
    if (this.tokens.get(endpointId)?.token === token) this.tokens.delete(endpointId);
  }

  private fetchShared(endpointId: string, settings: string, fetch: TokenFetch): Promise<Entry> {
    const running = this.fetching.get(endpointId);
    if (running !== undefined && running.settings === settings) return running.promise;
    const promise = fetch()
      .then((t) => {
        const at = this.now();
        const lifetimeMs = (t.expiresInS ?? DEFAULT_TOKEN_LIFETIME_S) * 1000;
        const entry: Entry = {
          settings,
          token: t.value,
          refreshAt: at + Math.max(lifetimeMs * REFRESH_AT_FRACTION, lifetimeMs - REFRESH_MARGIN_MS),
          expiresAt: at + lifetimeMs,
        };
        this.tokens.set(endpointId, entry);
        return entry;
      })
      .finally(() => {
        if (this.fetching.get(endpointId)?.promise === promise) this.fetching.delete(endpointId);
      });
    this.fetching.set(endpointId, { settings, promise });
    return promise;
  }
}
