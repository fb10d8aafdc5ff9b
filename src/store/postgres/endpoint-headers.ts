/**
 * EndpointHeadersStore on PostgreSQL (see ports/endpoint-headers.ts). `headers` is jsonb, whose text form is
 * canonical, so `headers::text` as read is the version a write compares against.
 */
import type pg from "pg";
import type { EndpointHeadersChange, EndpointHeadersStore, StoredEndpointHeaders } from "../ports/endpoint-headers.ts";

export class PostgresEndpointHeaders implements EndpointHeadersStore {
  constructor(private readonly pool: pg.Pool) {}

  async listEndpointHeaders(after: string | null, limit: number): Promise<StoredEndpointHeaders[]> {
    const { rows } = await this.pool.query<{ id: string; headers: string }>(
      "SELECT id, headers::text AS headers FROM endpoints WHERE id > $1 AND headers <> '{}'::jsonb ORDER BY id LIMIT $2",
      [after ?? "", limit],
    );
    return rows.map((r) => ({ id: r.id, headers: JSON.parse(r.headers) as Record<string, string>, version: r.headers }));
  }

  async replaceEndpointHeaders(changes: EndpointHeadersChange[]): Promise<number> {
    if (changes.length === 0) return 0;
    const { rowCount } = await this.pool.query(
      `UPDATE endpoints e SET headers = c.headers::jsonb
       FROM unnest($1::text[], $2::text[], $3::text[]) AS c (id, headers, version)
       WHERE e.id = c.id AND e.headers::text = c.version`,
      [changes.map((c) => c.id), changes.map((c) => JSON.stringify(c.headers)), changes.map((c) => c.version)],
    );
    return rowCount ?? 0;
  }
}
