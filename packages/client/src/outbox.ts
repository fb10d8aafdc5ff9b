/**
 * The transactional outbox, producer side: `outbox.publish(client, event)` inserts the event into the `hookd_outbox`
 * table on the caller's own `pg` connection, inside the caller's own transaction. The event exists exactly when the
 * producer's change commits and never when it rolls back; hookd (`hookd serve --outbox <url>`) relays the row
 * afterwards, exactly once, through its normal ingest. The table comes from `hookd outbox install`.
 *
 * The helper takes anything with pg's `query(text, values)` (a Client, a PoolClient, a Pool), so `pg` stays the
 * caller's: it is an optional peer dependency, never imported here. It checks what hookd would refuse anyway, so a
 * mistake fails the producer's transaction at once instead of leaving a failed row behind. The checks repeat hookd's
 * own rules (src/domain/ids.ts, src/domain/event-type-match.ts), since this package stands alone.
 *
 * @example
 * import { outbox } from "@hookd/client";
 * await client.query("BEGIN");
 * await client.query("UPDATE invoices SET paid_at = now() WHERE id = $1", [invoiceId]);
 * await outbox.publish(client, { tenant_id: "acme", type: "invoice.paid", data: { invoice: invoiceId } });
 * await client.query("COMMIT");
 */
/** What the helper needs of a pg Client, PoolClient or Pool (inside a transaction the caller opened). */
export interface Queryable {
  query(text: string, values?: unknown[]): Promise<unknown>;
}

export interface OutboxEvent {
  /** The hookd tenant the event is published into; optional with an outbox made by createOutbox({ tenant_id }). */
  tenant_id: string;
  /** The event type, e.g. `invoice.paid`: letters, digits, `.`, `_`, `-`, up to 128. */
  type: string;
  /** The event's data: a JSON object, delivered with its keys in the order given. */
  data: Record<string, unknown>;
  /** hookd's Idempotency-Key for this event (a 24 h window), for a producer that may insert one event twice. */
  idempotency_key?: string | undefined;
}

/** The id the event will have in hookd (`evt_...`), known before the transaction commits. */
export interface OutboxPublished {
  id: string;
}

export interface Outbox {
  publish(client: Queryable, event: OutboxEvent): Promise<OutboxPublished>;
}

/** An outbox bound to one tenant: its events may leave `tenant_id` out. */
export interface TenantOutbox {
  publish(client: Queryable, event: Omit<OutboxEvent, "tenant_id"> & { tenant_id?: string | undefined }): Promise<OutboxPublished>;
}

export interface OutboxOptions {
  /** The tenant of every event that names none. */
  tenant_id?: string;
  /** The outbox table, schema-qualified if needed; default `hookd_outbox` (on the connection's search_path). */
  table?: string;
}

/** An event hookd would refuse; thrown before anything is written. */
export class OutboxEventError extends Error {
  override name = "OutboxEventError";
}

const TENANT_ID = /^[a-zA-Z0-9_-]{1,64}$/;
const EVENT_TYPE = /^[a-zA-Z0-9._-]{1,128}$/;
const TABLE = /^([a-z_][a-z0-9_]*\.)?[a-z_][a-z0-9_]*$/;
const CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/** An `evt_` id with a ULID after the prefix, like the ids hookd makes: sortable by time, 80 random bits. */
export function newEventId(now = Date.now()): string {
  let time = "";
  for (let t = now, i = 0; i < 10; i++, t = Math.floor(t / 32)) time = CROCKFORD[t % 32]! + time;
  // Web Crypto (Node 20 and browsers alike), so importing the client never needs node:crypto.
  const random = [...crypto.getRandomValues(new Uint8Array(16))].map((b) => CROCKFORD[b % 32]!).join("");
  return `evt_${time}${random}`;
}

function check(event: OutboxEvent): void {
  if (typeof event.tenant_id !== "string" || !TENANT_ID.test(event.tenant_id)) {
    throw new OutboxEventError("tenant_id must be 1 to 64 letters, digits, '_' or '-'");
  }
  if (typeof event.type !== "string" || !EVENT_TYPE.test(event.type)) {
    throw new OutboxEventError("type must be 1 to 128 letters, digits, '.', '_' or '-'");
  }
  if (event.data === null || typeof event.data !== "object" || Array.isArray(event.data)) {
    throw new OutboxEventError("data must be a JSON object");
  }
  const key = event.idempotency_key;
  if (key !== undefined && (typeof key !== "string" || key.length < 1 || key.length > 255)) {
    throw new OutboxEventError("idempotency_key must be 1 to 255 characters");
  }
}

/**
 * An outbox publisher; `createOutbox({ tenant_id: "acme" })` for a producer that publishes into one tenant.
 * @example const acme = createOutbox({ tenant_id: "acme" }); await acme.publish(tx, { type: "user.created", data: { id: 7 } });
 */
export function createOutbox(options: OutboxOptions & { tenant_id: string }): TenantOutbox;
export function createOutbox(options?: OutboxOptions): Outbox;
export function createOutbox(options: OutboxOptions = {}): Outbox & TenantOutbox {
  const table = options.table ?? "hookd_outbox";
  if (!TABLE.test(table)) throw new OutboxEventError(`table must be a plain (optionally schema-qualified) name, not ${table}`);
  const sql = `INSERT INTO ${table} (id, tenant_id, type, data, idempotency_key) VALUES ($1, $2, $3, $4::json, $5)`;
  return {
    async publish(client, input) {
      const event = { ...input, tenant_id: input.tenant_id ?? options.tenant_id } as OutboxEvent;
      check(event);
      const id = newEventId();
      await client.query(sql, [id, event.tenant_id, event.type, JSON.stringify(event.data), event.idempotency_key ?? null]);
      return { id };
    },
  };
}

/** The outbox on `hookd_outbox`; every event names its tenant. */
export const outbox: Outbox = createOutbox();
