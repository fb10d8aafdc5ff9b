/**
 * The event-type catalogue on SQLite, kept apart from the adapter's main file because it shares nothing with the
 * delivery path. Each mutation and its audit row run in one transaction, as everywhere else in the store.
 */
import type { Statement } from "better-sqlite3";
import type { EventType, EventTypeSummary } from "../../domain/event-type.ts";
import type { Page } from "../../domain/types.ts";
import {
  type EventTypeRow,
  type EventTypeSummaryRow,
  eventTypePage,
  eventTypeParams,
  toEventType,
  toEventTypeSummary,
} from "../event-type-rows.ts";
import { auditEntryFor } from "../rows.ts";
import type { AuditEntry, AuditNote, EventTypePatch, PageRequest } from "../store.ts";
import type { SqliteDatabase } from "./open-database.ts";

export class SqliteEventTypes {
  constructor(
    private readonly db: SqliteDatabase,
    private readonly sql: (text: string) => Statement<unknown[]>,
    private readonly audit: (entry: AuditEntry) => void,
  ) {}

  insert(t: EventType, audit?: AuditNote<EventType>): boolean {
    return this.db.transaction(() => {
      const result = this.sql(
        `INSERT INTO event_types (tenant_id, name, description, schema, archived, revision, created_at, updated_at)
         VALUES (@tenant_id, @name, @description, @schema, @archived, @revision, @created_at, @updated_at)
         ON CONFLICT (tenant_id, name) DO NOTHING`,
      ).run({ ...eventTypeParams(t), archived: t.archived ? 1 : 0 });
      if (result.changes !== 1) return false;
      if (audit) this.audit(auditEntryFor(audit, target(t.tenantId, t.name), null, t));
      return true;
    }).immediate();
  }

  get(tenantId: string, name: string): EventType | null {
    const row = this.sql("SELECT * FROM event_types WHERE tenant_id = ? AND name = ?").get(tenantId, name) as
      | EventTypeRow
      | undefined;
    return row ? toEventType(row) : null;
  }

  list(tenantId: string, includeArchived: boolean, page: PageRequest): Page<EventType> {
    const rows = this.sql(
      `SELECT * FROM event_types WHERE tenant_id = ? AND name > ? AND (? OR archived = 0) ORDER BY name LIMIT ?`,
    ).all(tenantId, page.after ?? "", includeArchived ? 1 : 0, page.limit + 1) as EventTypeRow[];
    return eventTypePage(rows.map(toEventType), page.limit);
  }

  summaries(tenantId: string): EventTypeSummary[] {
    const rows = this.sql(
      "SELECT name, archived, schema IS NOT NULL AS has_schema, revision FROM event_types WHERE tenant_id = ?",
    ).all(tenantId) as EventTypeSummaryRow[];
    return rows.map(toEventTypeSummary);
  }

  update(tenantId: string, name: string, patch: EventTypePatch, now: number, audit?: AuditNote<EventType>): EventType | null {
    return this.db.transaction(() => {
      const before = this.get(tenantId, name);
      if (!before) return null;
      const next: EventType = { ...before, ...patch, updatedAt: now };
      this.sql(
        `UPDATE event_types SET description = @description, schema = @schema, archived = @archived,
           revision = @revision, updated_at = @updated_at
         WHERE tenant_id = @tenant_id AND name = @name`,
      ).run({ ...eventTypeParams(next), archived: next.archived ? 1 : 0 });
      if (audit) this.audit(auditEntryFor(audit, target(tenantId, name), before, next));
      return next;
    }).immediate();
  }

  delete(tenantId: string, name: string, audit?: AuditNote<EventType>): boolean {
    return this.db.transaction(() => {
      const before = this.get(tenantId, name);
      if (!before) return false;
      this.sql("DELETE FROM event_types WHERE tenant_id = ? AND name = ?").run(tenantId, name);
      if (audit) this.audit(auditEntryFor(audit, target(tenantId, name), before, null));
      return true;
    }).immediate();
  }
}

function target(tenantId: string, name: string) {
  return { type: "event_type" as const, id: name, tenantId };
}
