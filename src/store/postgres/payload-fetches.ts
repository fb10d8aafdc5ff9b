/** The payload fetch log on PostgreSQL (the port: store/ports/payload-fetches.ts); one statement per call. */
import type pg from "pg";
import type { PayloadFetch, PayloadFetchStore } from "../ports/payload-fetches.ts";
import { type PayloadFetchRow, toPayloadFetch } from "../payload-fetch-rows.ts";

export class PostgresPayloadFetches implements PayloadFetchStore {
  constructor(private readonly pool: pg.Pool) {}

  async record(f: PayloadFetch): Promise<boolean> {
    // FOR KEY SHARE: an endpoint being deleted right now either waits for this insert or is already gone.
    const { rowCount } = await this.pool.query(
      `INSERT INTO payload_fetches (id, tenant_id, endpoint_id, event_id, fetched_at, remote_address, user_agent)
       SELECT $1, tenant_id, id, $2, $3, $4, $5 FROM endpoints WHERE id = $6 AND tenant_id = $7 FOR KEY SHARE`,
      [f.id, f.eventId, f.fetchedAt, f.remoteAddress, f.userAgent, f.endpointId, f.tenantId],
    );
    return rowCount === 1;
  }

  async list(tenantId: string, endpointId: string, eventId: string, limit: number): Promise<PayloadFetch[]> {
    const { rows } = await this.pool.query<PayloadFetchRow>(
      "SELECT * FROM payload_fetches WHERE endpoint_id = $1 AND event_id = $2 AND tenant_id = $3 ORDER BY id LIMIT $4",
      [endpointId, eventId, tenantId, limit],
    );
    return rows.map(toPayloadFetch);
  }

  async deleteBefore(before: number, limit: number): Promise<number> {
    const { rowCount } = await this.pool.query(
      `DELETE FROM payload_fetches WHERE id IN (
         SELECT id FROM payload_fetches WHERE fetched_at < $1 ORDER BY fetched_at LIMIT $2 FOR UPDATE SKIP LOCKED)`,
      [before, limit],
    );
    return rowCount ?? 0;
  }
}
