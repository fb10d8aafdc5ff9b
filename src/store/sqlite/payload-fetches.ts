/** The payload fetch log on SQLite (the port: store/ports/payload-fetches.ts). */
import type { Statement } from "better-sqlite3";
import type { PayloadFetch, PayloadFetchStore } from "../ports/payload-fetches.ts";
import { type PayloadFetchRow, toPayloadFetch } from "../payload-fetch-rows.ts";

export class SqlitePayloadFetches implements PayloadFetchStore {
  constructor(
    private readonly sql: (text: string) => Statement<unknown[]>,
    /** Runs a write in an immediate transaction, taking turns with the delivery thread's connection. */
    private readonly write: <T>(fn: () => T) => T,
  ) {}

  async record(f: PayloadFetch): Promise<boolean> {
    return this.write(
      () =>
        this.sql(
          `INSERT INTO payload_fetches (id, tenant_id, endpoint_id, event_id, fetched_at, remote_address, user_agent)
           SELECT ?, tenant_id, id, ?, ?, ?, ? FROM endpoints WHERE id = ? AND tenant_id = ?`,
        ).run(f.id, f.eventId, f.fetchedAt, f.remoteAddress, f.userAgent, f.endpointId, f.tenantId).changes === 1,
    );
  }

  async list(tenantId: string, endpointId: string, eventId: string, limit: number): Promise<PayloadFetch[]> {
    const rows = this.sql(
      `SELECT * FROM payload_fetches WHERE endpoint_id = ? AND event_id = ? AND tenant_id = ? ORDER BY id LIMIT ?`,
    ).all(endpointId, eventId, tenantId, limit) as PayloadFetchRow[];
    return rows.map(toPayloadFetch);
  }

  async deleteBefore(before: number, limit: number): Promise<number> {
    return this.write(
      () =>
        this.sql(
          `DELETE FROM payload_fetches WHERE id IN (SELECT id FROM payload_fetches WHERE fetched_at < ? ORDER BY fetched_at LIMIT ?)`,
        ).run(before, limit).changes,
    );
  }
}
