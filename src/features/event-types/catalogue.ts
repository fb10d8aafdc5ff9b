/**
 * The per-process cache that keeps the event-type catalogue off the database on the hot ingest path. Two caches:
 *
 * - Each tenant's catalogue (names, archived flags, whether a schema exists, revisions; never the schemas) for
 *   CATALOGUE_TTL_MS, like the API-key cache. Concurrent requests share one load. A tenant with no declared types
 *   is an empty map here, so ingest pays one query per tenant per TTL and a map lookup per request.
 * - Schema source, keyed by tenant, name and revision, for the validation threads (validation-pool.ts), which
 *   compile and cache the validators themselves. Every write to a type gives it a new revision, so a changed schema
 *   is a new key; an old key is simply never asked for again and ages out.
 *
 * Both are least-recently-used caches with a bound (entries, and bytes of schema source), so a full cache drops its
 * coldest entries rather than everything at once.
 *
 * A change made through this process calls forget(), so it applies here from the next request on. Another process
 * keeps its cached catalogue until the TTL runs out: a change reaches every process within CATALOGUE_TTL_MS.
 */
import { LRUCache } from "lru-cache";
import type { Logger } from "pino";
import type { EventTypeSummary } from "../../domain/event-type.ts";
import type { Store } from "../../store/store.ts";

export const CATALOGUE_TTL_MS = 5_000;
const MAX_CACHED_TENANTS = 10_000;
const MAX_CACHED_SCHEMAS = 2_000;
/** Budget for cached schema source: schemas may be 64 KiB each, and 2,000 of them would be 128 MiB. */
const MAX_CACHED_SCHEMA_BYTES = 16 * 1024 * 1024;

export type TenantCatalogue = ReadonlyMap<string, EventTypeSummary>;

/** A type's schema as the validation threads take it: the cache key for its compiled form, and its JSON text. */
export interface SchemaSource {
  key: string;
  source: string;
}

export class EventTypeCatalogue {
  private readonly tenants = new LRUCache<string, { at: number; catalogue: Promise<TenantCatalogue> }>({ max: MAX_CACHED_TENANTS });
  /** null: the type has no schema (any more). */
  private readonly schemas: LRUCache<string, { source: SchemaSource | null; bytes: number }>;
  private readonly loading = new Map<string, Promise<SchemaSource | null>>();
  /** Keys of stored schemas already logged as not compiling, so the log gets one line per revision. */
  private readonly reported = new LRUCache<string, true>({ max: 1_000 });

  constructor(
    private readonly store: Store,
    private readonly log?: Pick<Logger, "warn">,
    private readonly now: () => number = Date.now,
    private readonly ttlMs: number = CATALOGUE_TTL_MS,
    maxSchemaBytes: number = MAX_CACHED_SCHEMA_BYTES,
  ) {
    this.schemas = new LRUCache({
      max: MAX_CACHED_SCHEMAS,
      maxSize: maxSchemaBytes,
      sizeCalculation: (entry) => Math.max(1, entry.bytes),
    });
  }

  /** The tenant's declared types by name (archived ones included), at most ttlMs old. */
  catalogue(tenantId: string): Promise<TenantCatalogue> {
    const now = this.now();
    const cached = this.tenants.get(tenantId);
    if (cached && now - cached.at <= this.ttlMs) return cached.catalogue;
    const catalogue = this.store
      .listEventTypeSummaries(tenantId)
      .then((list) => new Map(list.map((t) => [t.name, t])) as TenantCatalogue);
    const entry = { at: now, catalogue };
    this.tenants.set(tenantId, entry);
    // A failed load (the store is down) must not be served for the next ttlMs.
    catalogue.catch(() => {
      if (this.tenants.get(tenantId) === entry) this.tenants.delete(tenantId);
    });
    return catalogue;
  }

  /** The schema of a declared type at its revision, or null when it has none. Concurrent asks share one read. */
  schema(tenantId: string, type: EventTypeSummary): Promise<SchemaSource | null> {
    const key = `${tenantId}\u0000${type.name}\u0000${type.revision}`;
    const cached = this.schemas.get(key);
    if (cached) return Promise.resolve(cached.source);
    let loading = this.loading.get(key);
    if (!loading) {
      // Read now, not from the summary: the type may have changed since; a newer schema is only more correct.
      loading = this.store
        .getEventType(tenantId, type.name)
        .then((t) => {
          const source = t?.schema ? { key, source: JSON.stringify(t.schema) } : null;
          this.schemas.set(key, { source, bytes: source?.source.length ?? 0 });
          return source;
        })
        .finally(() => this.loading.delete(key));
      this.loading.set(key, loading);
    }
    return loading;
  }

  /**
   * A stored schema that no longer compiles (one saved by an older hookd whose limits were looser) is logged once
   * and not enforced, rather than refusing every event of the type with an error the producer cannot fix: patch the
   * type to repair it.
   */
  reportBroken(key: string, reason: string): void {
    if (this.reported.has(key)) return;
    this.reported.set(key, true);
    const [tenantId, name] = key.split("\u0000");
    this.log?.warn({ tenant_id: tenantId, event_type: name, reason }, "stored event-type schema does not compile; not enforced");
  }

  /** Schema bytes held in the cache (for tests of the budget). */
  get cachedSchemaBytes(): number {
    return this.schemas.calculatedSize;
  }

  /** Drops the tenant's cached catalogue, so a change made by this process applies to its next request. */
  forget(tenantId: string): void {
    this.tenants.delete(tenantId);
  }
}
