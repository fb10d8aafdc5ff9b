/**
 * The event-type catalogue: declare, read, change and delete a tenant's types, each change audited in the store's
 * transaction and applied to this process's ingest cache at once. A schema is compiled before it is saved (on a
 * validation thread), so a schema ajv refuses (or that breaks a limit) is a 422 INVALID_SCHEMA and never reaches
 * ingest.
 */
import { randomUUID } from "node:crypto";
import { matchesEventType } from "../../domain/event-type-match.ts";
import type { EventType } from "../../domain/event-type.ts";
import type { JsonObject, Page } from "../../domain/types.ts";
import { AppError } from "../../errors/app-error.ts";
import type { EventTypePatch, PageRequest, Store } from "../../store/store.ts";
import { eventTypeAudit } from "../audit/notes.ts";
import type { EventTypeCatalogue } from "./catalogue.ts";
import type { SchemaValidationPool } from "./validation-pool.ts";

/** Per tenant. The catalogue is read whole into the ingest cache, so it must stay small. */
export const MAX_EVENT_TYPES = 1_000;

export interface EventTypeInput {
  name: string;
  description?: string | undefined;
  schema?: JsonObject | undefined;
  archived?: boolean | undefined;
}

export interface EventTypeChange {
  description?: string | undefined;
  schema?: JsonObject | null | undefined;
  archived?: boolean | undefined;
}

export class EventTypeService {
  constructor(
    private readonly store: Store,
    private readonly catalogue: EventTypeCatalogue,
    /** Compiles schemas being saved, off the event loop and under the validation time limit. */
    private readonly pool: SchemaValidationPool,
    /** HOOKD_STRICT_EVENT_TYPES */
    private readonly strict: boolean,
    private readonly now: () => number = Date.now,
  ) {}

  /** `actorKeyId` (here and below) is the API key making the change, for the audit log. */
  async create(tenantId: string, input: EventTypeInput, actorKeyId: string): Promise<EventType> {
    if (input.schema !== undefined) await this.assertCompiles(tenantId, input.schema);
    // Counted before the insert, so concurrent creates may pass the limit by a few; it bounds memory, not billing.
    if ((await this.store.listEventTypeSummaries(tenantId)).length >= MAX_EVENT_TYPES) {
      throw new AppError("EVENT_TYPE_LIMIT_REACHED", `a tenant may declare at most ${MAX_EVENT_TYPES} event types`);
    }
    const at = this.now();
    const eventType: EventType = {
      tenantId,
      name: input.name,
      description: input.description ?? "",
      schema: input.schema ?? null,
      archived: input.archived ?? false,
      revision: randomUUID(),
      createdAt: at,
      updatedAt: at,
    };
    if (!(await this.store.insertEventType(eventType, eventTypeAudit(actorKeyId, "event_type.created", at)))) {
      throw new AppError("EVENT_TYPE_EXISTS", `event type ${input.name} already exists`);
    }
    this.catalogue.forget(tenantId);
    return eventType;
  }

  async get(tenantId: string, name: string): Promise<EventType> {
    const eventType = await this.store.getEventType(tenantId, name);
    if (!eventType) throw new AppError("EVENT_TYPE_NOT_FOUND", `event type ${name} not found`);
    return eventType;
  }

  list(tenantId: string, includeArchived: boolean, page: PageRequest): Promise<Page<EventType>> {
    return this.store.listEventTypes(tenantId, includeArchived, page);
  }

  async update(tenantId: string, name: string, change: EventTypeChange, actorKeyId: string): Promise<EventType> {
    if (change.schema) await this.assertCompiles(tenantId, change.schema);
    const patch: EventTypePatch = { revision: randomUUID() };
    if (change.description !== undefined) patch.description = change.description;
    if (change.schema !== undefined) patch.schema = change.schema;
    if (change.archived !== undefined) patch.archived = change.archived;
    const at = this.now();
    const updated = await this.store.updateEventType(tenantId, name, patch, at, eventTypeAudit(actorKeyId, "event_type.updated", at));
    if (!updated) throw new AppError("EVENT_TYPE_NOT_FOUND", `event type ${name} not found`);
    this.catalogue.forget(tenantId);
    return updated;
  }

  async delete(tenantId: string, name: string, actorKeyId: string): Promise<void> {
    if (!(await this.store.deleteEventType(tenantId, name, eventTypeAudit(actorKeyId, "event_type.deleted", this.now())))) {
      throw new AppError("EVENT_TYPE_NOT_FOUND", `event type ${name} not found`);
    }
    this.catalogue.forget(tenantId);
  }

  private async assertCompiles(tenantId: string, schema: JsonObject): Promise<void> {
    const refused = await this.pool.check(tenantId, schema);
    if (refused !== null) throw new AppError("INVALID_SCHEMA", refused);
  }

  /**
   * Strict mode only: an endpoint may subscribe to a declared, unarchived type, or to a wildcard (`*`, `invoice.*`)
   * that matches at least one of them, so a misspelt subscription is refused instead of silently receiving nothing.
   * Read from the store, not the ingest cache: a type declared a moment ago in another process must count.
   */
  async assertSubscribable(tenantId: string, filters: readonly string[]): Promise<void> {
    if (!this.strict) return;
    const live = (await this.store.listEventTypeSummaries(tenantId)).filter((t) => !t.archived).map((t) => t.name);
    const refused = filters
      .map((filter, i) => ({ filter, i }))
      .filter(({ filter }) => !live.some((name) => matchesEventType([filter], name)));
    if (refused.length > 0) {
      throw new AppError(
        "UNKNOWN_EVENT_TYPE",
        `event_types must name declared, unarchived types (HOOKD_STRICT_EVENT_TYPES): ${refused.map((r) => r.filter).join(", ")}`,
        refused.map(({ filter, i }) => ({
          path: `body/event_types/${i}`,
          message: filter.includes("*") ? "matches no declared, unarchived event type" : "is not a declared, unarchived event type",
        })),
      );
    }
  }
}
