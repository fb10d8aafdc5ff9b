/**
 * The producer's side of the outbox: one INSERT on the producer's own connection, inside the producer's own
 * transaction, so the event exists exactly when the producer's change commits and never when it rolls back (no
 * dual write: hookd relays the row afterwards, see relay.ts). It checks what hookd would refuse anyway, so a
 * mistake fails the producer's transaction at once rather than leaving a failed row behind.
 *
 * @example
 *   await client.query("BEGIN");
 *   await client.query("UPDATE invoices SET paid_at = now() WHERE id = $1", [invoiceId]);
 *   await outbox.publish(client, { tenant: "acme", type: "invoice.paid", data: { invoice: invoiceId } });
 *   await client.query("COMMIT");
 */
import { EVENT_TYPE_PATTERN } from "../domain/event-type-match.ts";
import { CALLER_ID_PATTERN, newId } from "../domain/ids.ts";

/** What the helper needs of a pg Client, PoolClient or Pool: any of them inside a transaction the caller opened. */
export interface Queryable {
  query(text: string, values?: unknown[]): Promise<unknown>;
}

export interface OutboxEvent {
  /** The hookd tenant the event is published into. */
  tenant: string;
  type: string;
  data: Record<string, unknown>;
  /** Optional: hookd's Idempotency-Key for this event (24 h window), for producers that may insert one event twice. */
  idempotency_key?: string | undefined;
}

export class OutboxEventError extends Error {
  override name = "OutboxEventError";
}

const TENANT = new RegExp(CALLER_ID_PATTERN);
const TYPE = new RegExp(EVENT_TYPE_PATTERN);

/**
 * Inserts the event into `hookd_outbox` on `client`; it is published when (and only if) the caller's transaction
 * commits. Returns the id the event will have in hookd.
 * @throws {OutboxEventError} for a tenant id, type, data or key hookd would refuse
 */
export async function publish(client: Queryable, event: OutboxEvent): Promise<{ id: string }> {
  if (typeof event.tenant !== "string" || !TENANT.test(event.tenant)) {
    throw new OutboxEventError(`tenant must match ${CALLER_ID_PATTERN}`);
  }
  if (typeof event.type !== "string" || !TYPE.test(event.type)) throw new OutboxEventError(`type must match ${EVENT_TYPE_PATTERN}`);
  if (event.data === null || typeof event.data !== "object" || Array.isArray(event.data)) {
    throw new OutboxEventError("data must be a JSON object");
  }
  const key = event.idempotency_key;
  if (key !== undefined && (typeof key !== "string" || key.length < 1 || key.length > 255)) {
    throw new OutboxEventError("idempotency_key must be 1 to 255 characters");
  }
  const id = newId("evt");
  await client.query(
    "INSERT INTO hookd_outbox (id, tenant_id, type, data, idempotency_key) VALUES ($1, $2, $3, $4::json, $5)",
    [id, event.tenant, event.type, JSON.stringify(event.data), key ?? null],
  );
  return { id };
}
