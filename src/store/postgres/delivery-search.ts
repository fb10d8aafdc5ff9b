/**
 * The delivery-log search as one SQL statement, built from a filter. Kept apart from the adapter so the plan test
 * (test/contract/postgres-delivery-plans.test.ts) can EXPLAIN exactly the statement the store runs.
 *
 * Which index answers which filter (migration 000008): endpoint_id -> deliveries_by_endpoint, event_id -> the
 * (tenant_id, event_id, endpoint_id) unique index, event_type -> deliveries_by_type (a prefix wildcard is one range
 * over a bytewise-collated column), status -> deliveries_by_status, since/until -> deliveries_by_created, and with no
 * filter deliveries_by_tenant walked backwards. min_attempts is only a filter on top: it is never selective enough
 * on its own to earn an index that every attempt record would have to update.
 */
import { eventTypeCondition } from "../../domain/event-type-match.ts";
import type { DeliveryFilter, PageRequest } from "../store.ts";

export function deliverySearchSql(
  tenantId: string,
  filter: DeliveryFilter,
  page: PageRequest,
): { text: string; values: unknown[] } {
  const where = ["tenant_id = $1"];
  const values: unknown[] = [tenantId];
  const add = (clause: string, ...params: unknown[]) => {
    where.push(clause.replace(/\?/g, () => `$${values.push(params.shift())}`));
  };
  if (filter.endpointId) add("endpoint_id = ?", filter.endpointId);
  if (filter.eventId) add("event_id = ?", filter.eventId);
  if (filter.eventType !== undefined) {
    const c = eventTypeCondition(filter.eventType);
    if (c.kind === "exact") add("event_type = ?", c.type);
    if (c.kind === "range") add("event_type >= ? AND event_type < ?", c.from, c.to);
  }
  // One status as an equality, so (tenant_id, status, id) hands rows back already in id order (the dead-letter list
  // is one index range read backwards); an ANY() list cannot, before PostgreSQL 17.
  if (filter.statuses?.length === 1) add("status = ?", filter.statuses[0]);
  else if (filter.statuses && filter.statuses.length > 1) add("status = ANY(?::text[])", filter.statuses);
  if (filter.since !== undefined) add("created_at >= ?", filter.since);
  if (filter.until !== undefined) add("created_at < ?", filter.until);
  if (filter.minAttempts !== undefined) add("attempts >= ?", filter.minAttempts);
  if (page.after) add("id < ?", page.after);
  values.push(page.limit + 1);
  return {
    text: `SELECT * FROM deliveries WHERE ${where.join(" AND ")} ORDER BY id DESC LIMIT $${values.length}`,
    values,
  };
}
