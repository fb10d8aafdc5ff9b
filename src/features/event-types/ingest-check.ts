/**
 * What ingest asks of the catalogue before anything is written: in strict mode every event's type must be declared
 * (archived types count: producers may lag behind an archive), and every event of a type with a schema must match
 * it. A batch is all or nothing, so one failing event refuses the whole request; the answer lists up to
 * MAX_REPORTED_ERRORS problems with the failing events' positions.
 *
 * The schemas are checked on a validation thread, the whole request as one task under one time limit
 * (validation-pool.ts): the event loop that serves every tenant never runs a tenant's schema.
 */
import { AppError } from "../../errors/app-error.ts";
import type { EventTypeCatalogue } from "./catalogue.ts";
import { MAX_REPORTED_ERRORS } from "./schema-compiler.ts";
import type { SchemaValidationPool } from "./validation-pool.ts";
import type { EventToCheck } from "./validation-thread.ts";

export interface CheckedEvent {
  type: string;
  data: unknown;
}

export class IngestCheck {
  constructor(
    private readonly catalogue: EventTypeCatalogue,
    private readonly pool: SchemaValidationPool,
    /** HOOKD_STRICT_EVENT_TYPES */
    private readonly strict: boolean,
  ) {}

  /** @param batch whether the events came as a batch: its problems carry each event's `index`. */
  async check(tenantId: string, events: readonly CheckedEvent[], batch: boolean): Promise<void> {
    const declared = await this.catalogue.catalogue(tenantId);
    // The common case: no catalogue, nothing to check.
    if (declared.size === 0 && !this.strict) return;
    const at = (index: number) => (batch ? { index } : {});

    if (this.strict) {
      const unknown: object[] = [];
      events.forEach((e, index) => {
        if (!declared.has(e.type) && unknown.length < MAX_REPORTED_ERRORS) {
          unknown.push({ ...at(index), type: e.type, message: `event type ${e.type} is not declared` });
        }
      });
      if (unknown.length > 0) {
        throw new AppError("UNKNOWN_EVENT_TYPE", "events must have a declared type (HOOKD_STRICT_EVENT_TYPES)", unknown);
      }
    }

    // Only events whose type has a schema go to the thread; the others keep their place as gaps in `index`.
    const schemas: Record<string, string> = {};
    const toCheck: EventToCheck[] = [];
    const positions: number[] = [];
    for (let index = 0; index < events.length; index++) {
      const event = events[index]!;
      const type = declared.get(event.type);
      if (!type?.hasSchema) continue;
      const schema = await this.catalogue.schema(tenantId, type);
      if (!schema) continue;
      schemas[schema.key] = schema.source;
      toCheck.push({ key: schema.key, data: event.data });
      positions.push(index);
    }
    if (toCheck.length === 0) return;

    const answer = await this.pool.validate(tenantId, schemas, toCheck);
    for (const [key, reason] of Object.entries(answer.broken)) this.catalogue.reportBroken(key, reason);
    if (answer.problems.length > 0) {
      throw new AppError(
        "SCHEMA_VALIDATION_FAILED",
        batch ? "event data does not match its type's schema; no event was written" : "event data does not match its type's schema",
        answer.problems.map(({ index, ...p }) => ({ ...at(positions[index]!), type: events[positions[index]!]!.type, ...p })),
      );
    }
  }
}
