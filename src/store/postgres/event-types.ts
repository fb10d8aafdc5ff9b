/**
 * The event-type catalogue on PostgreSQL, kept apart from the adapter's main file because it shares nothing with the
 * delivery path. Each mutation and its audit row run in one transaction; updates lock the row first so two
 * concurrent patches apply one after the other and each audit row's `before` is the state it replaced.
 */
import type pg from "pg";
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
import { inTransaction } from "./pool.ts";

type WriteAudit = (client: pg.PoolClient, entry: AuditEntry) => Promise<void>;

export class PostgresEventTypes {
  constructor(
    private readonly pool: pg.Pool,
    private readonly writeAudit: WriteAudit,
  ) {}

  insert(t: EventType, audit?: AuditNote<EventType>): Promise<boolean> {
    const p = eventTypeParams(t);
    return inTransaction(this.pool, async (client) => {
      const { rowCount } = await client.query(
        `INSERT INTO event_types (tenant_id, name, description, schema, archived, revision, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (tenant_id, name) DO NOTHING`,
        [p.tenant_id, p.name, p.description, p.schema, t.archived, p.revision, p.created_at, p.updated_at],
      );
      if (rowCount !== 1) return false;
      if (audit) await this.writeAudit(client, auditEntryFor(audit, target(t.tenantId, t.name), null, t));
      return true;
    });
  }

  async get(tenantId: string, name: string): Promise<EventType | null> {
    const { rows } = await this.pool.query<EventTypeRow>(
      "SELECT * FROM event_types WHERE tenant_id = $1 AND name = $2",
      [tenantId, name],
    );
    return rows[0] ? toEventType(rows[0]) : null;
  }

  async list(tenantId: string, includeArchived: boolean, page: PageRequest): Promise<Page<EventType>> {
    const { rows } = await this.pool.query<EventTypeRow>(
      `SELECT * FROM event_types WHERE tenant_id = $1 AND name > $2 AND ($3 OR NOT archived) ORDER BY name LIMIT $4`,
      [tenantId, page.after ?? "", includeArchived, page.limit + 1],
    );
    return eventTypePage(rows.map(toEventType), page.limit);
  }

  async summaries(tenantId: string): Promise<EventTypeSummary[]> {
    const { rows } = await this.pool.query<EventTypeSummaryRow>(
      "SELECT name, archived, schema IS NOT NULL AS has_schema, revision FROM event_types WHERE tenant_id = $1",
      [tenantId],
    );
    return rows.map(toEventTypeSummary);
  }

  update(
    tenantId: string,
    name: string,
    patch: EventTypePatch,
    now: number,
    audit?: AuditNote<EventType>,
  ): Promise<EventType | null> {
    return inTransaction(this.pool, async (client) => {
      const { rows } = await client.query<EventTypeRow>(
        "SELECT * FROM event_types WHERE tenant_id = $1 AND name = $2 FOR UPDATE",
        [tenantId, name],
      );
      if (!rows[0]) return null;
      const before = toEventType(rows[0]);
      const next: EventType = { ...before, ...patch, updatedAt: now };
      const p = eventTypeParams(next);
      await client.query(
        `UPDATE event_types SET description = $3, schema = $4, archived = $5, revision = $6, updated_at = $7
         WHERE tenant_id = $1 AND name = $2`,
        [tenantId, name, p.description, p.schema, next.archived, p.revision, p.updated_at],
      );
      if (audit) await this.writeAudit(client, auditEntryFor(audit, target(tenantId, name), before, next));
      return next;
    });
  }

  delete(tenantId: string, name: string, audit?: AuditNote<EventType>): Promise<boolean> {
    return inTransaction(this.pool, async (client) => {
      const { rows } = await client.query<EventTypeRow>(
        "DELETE FROM event_types WHERE tenant_id = $1 AND name = $2 RETURNING *",
        [tenantId, name],
      );
      if (!rows[0]) return false;
      if (audit) await this.writeAudit(client, auditEntryFor(audit, target(tenantId, name), toEventType(rows[0]), null));
      return true;
    });
  }
}

function target(tenantId: string, name: string) {
  return { type: "event_type" as const, id: name, tenantId };
}
