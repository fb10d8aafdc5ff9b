/**
 * A DedupeStore in this process's memory: right for a single receiver process and for tests. It forgets everything
 * on restart and is not shared between processes; use RedisDedupeStore for those. Expired ids are swept as new ones
 * arrive, and `maxEntries` bounds memory by forgetting the oldest.
 */
import { randomUUID } from "node:crypto";
import type { ClaimResult, DedupeStore } from "./store.js";

interface Entry {
  state: "processing" | "done";
  token: string;
  expiresAt: number;
}

export interface MemoryDedupeStoreOptions {
  /** Most ids remembered at once (default 100,000); past it the oldest are forgotten. */
  maxEntries?: number;
  /** The clock in milliseconds (default `Date.now`), for tests. */
  now?: () => number;
}

export class MemoryDedupeStore implements DedupeStore {
  // A Map iterates in insertion order, and every write re-inserts, so the first entries are the oldest.
  private readonly entries = new Map<string, Entry>();
  private readonly maxEntries: number;
  private readonly now: () => number;

  constructor(options: MemoryDedupeStoreOptions = {}) {
    this.maxEntries = options.maxEntries ?? 100_000;
    this.now = options.now ?? Date.now;
  }

  /** Ids remembered now, expired ones included until they are swept. */
  get size(): number {
    return this.entries.size;
  }

  async claim(id: string, processingTtlMs: number): Promise<ClaimResult> {
    const now = this.now();
    this.sweep(now);
    const entry = this.entries.get(id);
    if (entry && entry.expiresAt > now) return { state: entry.state };
    const token = randomUUID();
    this.set(id, { state: "processing", token, expiresAt: now + processingTtlMs });
    return { state: "claimed", token };
  }

  async complete(id: string, token: string, ttlMs: number): Promise<void> {
    const entry = this.entries.get(id);
    if (entry?.token === token) this.set(id, { state: "done", token, expiresAt: this.now() + ttlMs });
  }

  async release(id: string, token: string): Promise<void> {
    if (this.entries.get(id)?.token === token) this.entries.delete(id);
  }

  private set(id: string, entry: Entry): void {
    this.entries.delete(id);
    this.entries.set(id, entry);
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
  }

  /** Drops expired entries from the front, a few per call, so a claim never pays for a long sweep. */
  private sweep(now: number): void {
    let budget = 16;
    for (const [id, entry] of this.entries) {
      if (budget-- === 0) return;
      if (entry.expiresAt <= now) this.entries.delete(id);
    }
  }
}
