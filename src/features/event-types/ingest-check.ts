/**
 * What ingest asks of the catalogue before anything is written: in strict mode every event's type must be declared
 * (archived types count: producers may lag behind an archive), and every event of a type with a schema must match
 * it. A batch is all or nothing, so one failing event refuses the whole request; the answer lists up to
 * MAX_REPORTED_ERRORS problems with the failing events' positions.
 */
import { AppError } from "../../errors/app-error.ts";
import type { EventTypeCatalogue } from "./catalogue.ts";
import { MAX_REPORTED_ERRORS } from "./schema-compiler.ts";

export interface CheckedEvent {
  type: string;
  data: unknown;
}

export class IngestCheck {
  constructor(
    private readonly catalogue: EventTypeCatalogue,
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

    const problems: object[] = [];
    for (let index = 0; index < events.length && problems.length < MAX_REPORTED_ERRORS; index++) {
      const event = events[index]!;
      const type = declared.get(event.type);
      if (!type?.hasSchema) continue;
      const validate = await this.catalogue.validator(tenantId, type);
      if (!validate) continue;
      for (const p of validate(event.data)) {
        if (problems.length >= MAX_REPORTED_ERRORS) break;
        problems.push({ ...at(index), type: event.type, ...p });
      }
    }
    if (problems.length > 0) {
      throw new AppError(
        "SCHEMA_VALIDATION_FAILED",
        batch ? "event data does not match its type's schema; no event was written" : "event data does not match its type's schema",
        problems,
      );
    }
  }
}
