/**
 * Turning outbox rows into publishes: each row is checked against the publish route's own schema (the relay calls
 * the ingest service directly, behind the HTTP layer that would otherwise check it), consecutive rows of one tenant
 * without an idempotency key go in one batch publish (one hookd transaction), and a batch hookd refuses is retried
 * row by row so that only the rows at fault are marked failed. A refusal (a 4xx) is final for its row; anything else
 * (hookd's store unreachable) is thrown, and the whole batch is tried again later.
 */
import { Compile } from "typebox/compile";
import { CALLER_ID_PATTERN } from "../domain/ids.ts";
import { isAppError } from "../errors/app-error.ts";
import { EventBody, ingestedToApi } from "../features/events/schemas.ts";
import type { EventInput, EventService } from "../features/events/service.ts";
import { exceedsJsonDepth, MAX_JSON_DEPTH } from "../http/json-depth.ts";

export interface OutboxRow {
  seq: string;
  id: string;
  tenant_id: string;
  type: string;
  /** The json column as text, parsed here. */
  data: string;
  idempotency_key: string | null;
}

/** What happened to one row: published (or found already published), or refused for good with the reason. */
export type RowOutcome = { seq: string; error: null } | { seq: string; error: string };

export type Publisher = Pick<EventService, "publish">;

/** A batch publish carries at most this much data, so a run of large events is published a few at a time. */
const MAX_GROUP_BYTES = 4 * 1024 * 1024;
const checkEvent = Compile(EventBody);
const TENANT = new RegExp(CALLER_ID_PATTERN);

/** The rows in seq order with their outcomes; throws only for a failure worth retrying the whole batch for. */
export async function publishRows(
  rows: readonly OutboxRow[],
  events: Publisher,
  onPublished: (tenantId: string, count: number) => void,
): Promise<RowOutcome[]> {
  const outcomes: RowOutcome[] = [];
  let group: { row: OutboxRow; input: EventInput }[] = [];
  let groupBytes = 0;
  const flush = async () => {
    if (group.length > 0) outcomes.push(...(await publishGroup(group, events, onPublished)));
    group = [];
    groupBytes = 0;
  };
  for (const row of rows) {
    const checked = toInput(row);
    if ("error" in checked) {
      await flush();
      outcomes.push({ seq: row.seq, error: checked.error });
      continue;
    }
    const sameTenant = group.length === 0 || group[0]!.row.tenant_id === row.tenant_id;
    if (row.idempotency_key !== null || !sameTenant || groupBytes + row.data.length > MAX_GROUP_BYTES) await flush();
    if (row.idempotency_key !== null) {
      outcomes.push(await publishOne(row, checked.input, events, onPublished));
      continue;
    }
    group.push({ row, input: checked.input });
    groupBytes += row.data.length;
  }
  await flush();
  return outcomes;
}

function toInput(row: OutboxRow): { input: EventInput } | { error: string } {
  if (!TENANT.test(row.tenant_id)) return { error: `tenant_id must match ${CALLER_ID_PATTERN}` };
  let data: unknown;
  try {
    data = JSON.parse(row.data);
  } catch {
    return { error: "data is not JSON" };
  }
  const input = { id: row.id, type: row.type, data };
  if (!checkEvent.Check(input)) {
    const first = checkEvent.Errors(input)[0];
    return { error: `not a valid event: ${first ? `${first.instancePath || "/"} ${first.message}` : "schema mismatch"}` };
  }
  if (exceedsJsonDepth(data)) return { error: `data is nested more than ${MAX_JSON_DEPTH} levels deep` };
  return { input };
}

async function publishGroup(
  group: { row: OutboxRow; input: EventInput }[],
  events: Publisher,
  onPublished: (tenantId: string, count: number) => void,
): Promise<RowOutcome[]> {
  const tenantId = group[0]!.row.tenant_id;
  try {
    await events.publish(tenantId, "batch", group.map((g) => g.input), undefined, (evs) => JSON.stringify({ data: evs.map(ingestedToApi) }));
    onPublished(tenantId, group.length);
    return group.map((g) => ({ seq: g.row.seq, error: null }));
  } catch (err) {
    if (!isRefusal(err) || group.length === 1) {
      if (isRefusal(err)) return [{ seq: group[0]!.row.seq, error: describe(err) }];
      throw err;
    }
  }
  // Some row of the group is at fault: find which, one at a time, in order.
  const out: RowOutcome[] = [];
  for (const g of group) out.push(await publishOne(g.row, g.input, events, onPublished));
  return out;
}

async function publishOne(
  row: OutboxRow,
  input: EventInput,
  events: Publisher,
  onPublished: (tenantId: string, count: number) => void,
): Promise<RowOutcome> {
  try {
    const result = await events.publish(
      row.tenant_id,
      "single",
      [input],
      row.idempotency_key ?? undefined,
      (evs) => JSON.stringify(ingestedToApi(evs[0]!)),
    );
    if (!result.replayed) onPublished(row.tenant_id, 1);
    return { seq: row.seq, error: null };
  } catch (err) {
    if (isRefusal(err)) return { seq: row.seq, error: describe(err) };
    throw err;
  }
}

/** hookd answered with a 4xx: the row itself is at fault, and trying again would change nothing. */
function isRefusal(err: unknown): boolean {
  return isAppError(err) && err.status < 500;
}

function describe(err: unknown): string {
  return isAppError(err) ? `${err.code}: ${err.message}` : String(err);
}
