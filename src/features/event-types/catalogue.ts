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

export type TenantCatalogue = ReadonlyMap<string, EventTypeSummary>;

export class EventTypeCatalogue {
  private readonly tenants = new Map<string, { at: number; catalogue: Promise<TenantCatalogue> }>();
  /** null: the stored schema no longer compiles (see validator()). */
  private readonly validators = new Map<string, Promise<EventValidator | null>>();

  constructor(
    private readonly store: Store,
    private readonly log?: Pick<Logger, "warn">,
    private readonly now: () => number = Date.now,
    private readonly ttlMs: number = CATALOGUE_TTL_MS,
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
      if (this.validators.size >= MAX_CACHED_VALIDATORS) {
        // Maps iterate in insertion order: drop the oldest entry.
        this.validators.delete(this.validators.keys().next().value!);
      }
      validator = this.compile(tenantId, type.name);
      this.validators.set(key, validator);
      validator.catch(() => {
        if (this.validators.get(key) === validator) this.validators.delete(key);
      });
    }
    return validator;
  }

  /** Drops the tenant's cached catalogue, so a change made by this process applies to its next request. */
  forget(tenantId: string): void {
    this.tenants.delete(tenantId);
  }

  private async compile(tenantId: string, name: string): Promise<EventValidator | null> {
    // Read now, not from the summary: the type may have changed since; a newer schema is only more correct.
    const type = await this.store.getEventType(tenantId, name);
    if (!type?.schema) return null;
    try {
      return compileEventSchema(type.schema);
    } catch (err) {
      if (!(err instanceof AppError)) throw err;
      this.log?.warn({ tenant_id: tenantId, event_type: name, err }, "stored event-type schema does not compile; not enforced");
      return null;
    }
  }
}
