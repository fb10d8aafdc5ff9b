/**
 * The per-process cache that keeps schema validation off the database on the hot ingest path. Two caches:
 *
 * - Each tenant's catalogue (names, archived flags, whether a schema exists, revisions; never the schemas) for
 *   CATALOGUE_TTL_MS, like the API-key cache. Concurrent requests share one load. A tenant with no declared types
 *   is an empty map here, so ingest pays one query per tenant per TTL and a map lookup per request.
 * - Compiled validators, keyed by tenant, name and revision. Every write to a type gives it a new revision, so a
 *   changed schema is a new key and is compiled afresh; an old key is simply never asked for again and ages out.
 *
 * A change made through this process calls forget(), so it applies here from the next request on. Another process
 * keeps its cached catalogue until the TTL runs out: a change reaches every process within CATALOGUE_TTL_MS.
 */
import type { Logger } from "pino";
import type { EventTypeSummary } from "../../domain/event-type.ts";
import type { Store } from "../../store/store.ts";
import { AppError } from "../../errors/app-error.ts";
import { compileEventSchema, type EventValidator } from "./schema-compiler.ts";

export const CATALOGUE_TTL_MS = 5_000;
const MAX_CACHED_TENANTS = 10_000;
const MAX_CACHED_VALIDATORS = 2_000;
/**
 * Budget for the schema source behind the cached validators. A compiled validator is code of roughly the schema's
 * size and more, and schemas may be 64 KiB each: without a byte budget 2,000 of them could take gigabytes.
 */
const MAX_CACHED_SCHEMA_BYTES = 16 * 1024 * 1024;

export type TenantCatalogue = ReadonlyMap<string, EventTypeSummary>;

export class EventTypeCatalogue {
  private readonly tenants = new Map<string, { at: number; catalogue: Promise<TenantCatalogue> }>();
  /** null: the stored schema no longer compiles (see validator()). */
  private readonly validators = new Map<string, Promise<EventValidator | null>>();
  /** Schema source length behind each cached validator (entries still compiling count 0), and their sum. */
  private readonly sizes = new Map<string, number>();
  private cachedBytes = 0;

  constructor(
    private readonly store: Store,
    private readonly log?: Pick<Logger, "warn">,
    private readonly now: () => number = Date.now,
    private readonly ttlMs: number = CATALOGUE_TTL_MS,
    private readonly maxSchemaBytes: number = MAX_CACHED_SCHEMA_BYTES,
  ) {}

  /** The tenant's declared types by name (archived ones included), at most ttlMs old. */
  catalogue(tenantId: string): Promise<TenantCatalogue> {
    const now = this.now();
    const cached = this.tenants.get(tenantId);
    if (cached && now - cached.at <= this.ttlMs) return cached.catalogue;
    if (this.tenants.size >= MAX_CACHED_TENANTS) this.tenants.clear();
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

  /**
   * The compiled schema of a declared type, or null when it has none. A stored schema that no longer compiles (one
   * saved by an older hookd whose limits were looser) is logged and not enforced, rather than refusing every event
   * of the type with an error the producer cannot fix: patch the type to repair it.
   */
  validator(tenantId: string, type: EventTypeSummary): Promise<EventValidator | null> {
    const key = `${tenantId}\u0000${type.name}\u0000${type.revision}`;
    let validator = this.validators.get(key);
    if (!validator) {
      this.evict(MAX_CACHED_VALIDATORS - 1, this.maxSchemaBytes);
      const compiling = this.compile(tenantId, type.name).then(({ validator: v, bytes }) => {
        if (this.validators.get(key) === compiling) {
          this.sizes.set(key, bytes);
          this.cachedBytes += bytes;
          this.evict(MAX_CACHED_VALIDATORS, this.maxSchemaBytes);
        }
        return v;
      });
      validator = compiling;
      this.validators.set(key, compiling);
      compiling.catch(() => this.drop(key, compiling));
    }
    return validator;
  }

  /** Drops the oldest validators (Maps iterate in insertion order) until both limits hold; the newest always stays. */
  private evict(maxEntries: number, maxBytes: number): void {
    while (this.validators.size > Math.max(maxEntries, 1) || (this.cachedBytes > maxBytes && this.validators.size > 1)) {
      const oldest = this.validators.keys().next().value!;
      this.drop(oldest, this.validators.get(oldest)!);
    }
  }

  private drop(key: string, entry: Promise<EventValidator | null>): void {
    if (this.validators.get(key) !== entry) return;
    this.validators.delete(key);
    this.cachedBytes -= this.sizes.get(key) ?? 0;
    this.sizes.delete(key);
  }

  /** Schema bytes behind the cached validators (for tests of the budget). */
  get cachedSchemaBytes(): number {
    return this.cachedBytes;
  }

  /** Drops the tenant's cached catalogue, so a change made by this process applies to its next request. */
  forget(tenantId: string): void {
    this.tenants.delete(tenantId);
  }

  private async compile(tenantId: string, name: string): Promise<{ validator: EventValidator | null; bytes: number }> {
    // Read now, not from the summary: the type may have changed since; a newer schema is only more correct.
    const type = await this.store.getEventType(tenantId, name);
    if (!type?.schema) return { validator: null, bytes: 0 };
    const bytes = JSON.stringify(type.schema).length;
    try {
      return { validator: compileEventSchema(type.schema), bytes };
    } catch (err) {
      if (!(err instanceof AppError)) throw err;
      this.log?.warn({ tenant_id: tenantId, event_type: name, err }, "stored event-type schema does not compile; not enforced");
      return { validator: null, bytes: 0 };
    }
  }
}
