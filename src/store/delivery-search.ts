/**
 * The delivery-log search as one SQL statement, built from a filter, for both adapters (`?` placeholders; the
 * PostgreSQL adapter numbers them). Kept apart from the adapters so the plan tests can EXPLAIN exactly the statement
 * the stores run.
 *
 * The log's row is updated once per outcome and that update stays HOT on PostgreSQL only because no index covers
 * the columns it changes, so there is no index on status. Which index answers which filter instead:
 * - no filter, event_type, since/until: the primary key (tenant_id, id) walked backwards, or (tenant_id,
 *   event_type, id) for a type; created_at windows become id bounds, because a delivery id's ULID time is its
 *   event's creation time (domain/ids.ts), and are then checked exactly;
 * - event_id: the (tenant_id, event_id, endpoint_id) unique index;
 * - endpoint_id: the endpoint's stream (endpoint_id, seq), newest first in the order the endpoint receives them;
 * - status without `succeeded`: the rows that can have those statuses are found where they live (dead: the
 *   dead-letter list; failed and replayed pending: the job table; fresh pending: each endpoint's stream beyond its
 *   acked position), and only those are read. With `succeeded`, the common status, the walk above finds its rows at
 *   once.
 * min_attempts is only a filter on top: never selective enough to earn an index every outcome would have to update.
 */
import { eventTypeCondition } from "../domain/event-type-match.ts";
import { deliveryIdBounds } from "../domain/ids.ts";
import type { DeliveryStatus } from "../domain/types.ts";
import type { DeliveryFilter } from "./ports/delivery-log.ts";
import type { PageRequest } from "./ports/common.ts";

export interface SearchSql {
  text: string;
  values: unknown[];
}

const ALL: readonly DeliveryStatus[] = ["pending", "failed", "succeeded", "dead"];

export function deliverySearchSql(
  tenantId: string,
  filter: DeliveryFilter,
  page: PageRequest,
  dialect: "sqlite" | "postgres" = "sqlite",
): SearchSql {
  const statuses = filter.statuses && filter.statuses.length > 0 ? [...new Set(filter.statuses)] : null;
  const deadOnly = statuses?.length === 1 && statuses[0] === "dead" && !filter.endpointId;
  // Without `succeeded`, read only the rows that can have those statuses, found where they wait, each looked up by
  // primary key (on PostgreSQL through LATERAL, so the planner cannot trade the lookups for a scan of the log).
  const driving =
    statuses && !statuses.includes("succeeded") && !deadOnly ? drivingSet(statuses, tenantId, filter.endpointId, dialect) : null;
  const where: string[] = [];
  const values: unknown[] = [];
  const add = (clause: string, ...params: unknown[]) => {
    where.push(clause);
    values.push(...params);
  };
  let from = "deliveries d";
  if (deadOnly) {
    // The dead-letter list: walked in id order, newest first, one lookup per row shown.
    from = "dead_letters dl JOIN deliveries d ON d.tenant_id = dl.tenant_id AND d.id = dl.delivery_id";
    add("dl.tenant_id = ?", tenantId);
    if (page.after) add("dl.delivery_id < ?", page.after);
  } else if (driving && dialect === "postgres") {
    // OFFSET 0 keeps the subquery from being flattened into a join the planner could answer with a scan.
    from = `(${driving.text}) c CROSS JOIN LATERAL (SELECT * FROM deliveries x WHERE x.tenant_id = ? AND x.id = c.id OFFSET 0) d`;
    values.push(...driving.values, tenantId);
  } else if (driving) {
    from = `(${driving.text}) c JOIN deliveries d ON d.tenant_id = ? AND d.id = c.id`;
    values.push(...driving.values, tenantId);
  }
  add("d.tenant_id = ?", tenantId);
  // A deleted endpoint's deliveries stay until its deletion task has removed them; the API shows none of them.
  add("EXISTS (SELECT 1 FROM endpoints ep WHERE ep.id = d.endpoint_id)");
  if (filter.eventId) add("d.event_id = ?", filter.eventId);
  if (filter.eventType !== undefined) {
    const c = eventTypeCondition(filter.eventType);
    if (c.kind === "exact") add("d.event_type = ?", c.type);
    if (c.kind === "range") add("d.event_type >= ? AND d.event_type < ?", c.from, c.to);
  }
  const bounds = deliveryIdBounds(filter.since, filter.until);
  if (bounds.from !== null) add("d.id >= ?", bounds.from);
  if (bounds.to !== null) add("d.id < ?", bounds.to);
  if (filter.since !== undefined) add("d.created_at >= ?", filter.since);
  if (filter.until !== undefined) add("d.created_at < ?", filter.until);
  if (filter.minAttempts !== undefined) add("d.attempts >= ?", filter.minAttempts);
  // The dead-letter list holds dead deliveries only; saying so again would only mislead the planner's estimates.
  if (statuses && statuses.length < ALL.length && !deadOnly) add(`d.status IN (${statuses.map(() => "?").join(", ")})`, ...statuses);
  if (filter.endpointId) {
    add("d.endpoint_id = ?", filter.endpointId);
    if (page.after) add("d.seq < (SELECT a.seq FROM deliveries a WHERE a.tenant_id = ? AND a.id = ?)", tenantId, page.after);
  } else if (page.after && !deadOnly) {
    add("d.id < ?", page.after);
  }
  const order = filter.endpointId ? "d.seq DESC" : deadOnly ? "dl.delivery_id DESC" : "d.id DESC";
  values.push(page.limit + 1);
  return { text: `SELECT d.* FROM ${from} WHERE ${where.join(" AND ")} ORDER BY ${order} LIMIT ?`, values };
}

/** The ids of the tenant's deliveries that can have one of these statuses (none of them `succeeded`), as `id`. */
function drivingSet(
  statuses: readonly DeliveryStatus[],
  tenantId: string,
  endpointId: string | undefined,
  dialect: "sqlite" | "postgres",
): SearchSql {
  const parts: string[] = [];
  const values: unknown[] = [];
  // The tenant's endpoints, or the one asked for (its tenant is checked by the outer query).
  const endpoints = endpointId ? "?" : "SELECT ep.id FROM endpoints ep WHERE ep.tenant_id = ?";
  const endpointValue = endpointId ?? tenantId;
  if (statuses.includes("dead")) {
    parts.push(
      endpointId
        ? "SELECT dl.delivery_id AS id FROM dead_letters dl WHERE dl.endpoint_id = ?"
        : "SELECT dl.delivery_id AS id FROM dead_letters dl WHERE dl.tenant_id = ?",
    );
    values.push(endpointValue);
  }
  if (statuses.includes("failed") || statuses.includes("pending")) {
    parts.push(`SELECT j.delivery_id AS id FROM delivery_jobs j WHERE j.endpoint_id IN (${endpoints})`);
    values.push(endpointValue);
  }
  if (statuses.includes("pending")) {
    // Each endpoint's stream beyond its acked position: a range of (endpoint_id, seq). PostgreSQL cannot know the
    // range is short, so LATERAL (with OFFSET 0, kept apart) makes it walk the index instead of scanning the log.
    // A delivery there that waits as a job (a replay) was found above already.
    parts.push(
      dialect === "postgres"
        ? `SELECT p.id FROM endpoint_stream s CROSS JOIN LATERAL (SELECT p.id FROM deliveries p
             WHERE p.endpoint_id = s.endpoint_id AND p.seq > s.acked_seq AND p.status = 'pending' AND NOT p.retry_queued
             OFFSET 0) p
           WHERE s.endpoint_id IN (${endpoints})`
        : `SELECT p.id FROM endpoint_stream s JOIN deliveries p ON p.endpoint_id = s.endpoint_id AND p.seq > s.acked_seq
           WHERE s.endpoint_id IN (${endpoints}) AND p.status = 'pending' AND p.retry_queued = 0`,
    );
    values.push(endpointValue);
  }
  return { text: parts.join(" UNION ALL "), values };
}

/** The same statement with PostgreSQL's numbered placeholders (and its plan shapes). */
export function postgresSearchSql(tenantId: string, filter: DeliveryFilter, page: PageRequest): SearchSql {
  return numbered(deliverySearchSql(tenantId, filter, page, "postgres"));
}

/** The same statement with PostgreSQL's numbered placeholders. */
export function numbered(sql: SearchSql): SearchSql {
  let n = 0;
  return { text: sql.text.replace(/\?/g, () => `$${++n}`), values: sql.values };
}
