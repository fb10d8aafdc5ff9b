/** EndpointCredentialsStore on PostgreSQL (see ports/endpoint-credentials.ts): both columns are JSON text. */
import type pg from "pg";
import type {
  EndpointCredentialsChange,
  EndpointCredentialsStore,
  StoredEndpointCredentials,
} from "../ports/endpoint-credentials.ts";

export class PostgresEndpointCredentials implements EndpointCredentialsStore {
  constructor(private readonly pool: pg.Pool) {}

  async listEndpointCredentials(after: string | null, limit: number): Promise<StoredEndpointCredentials[]> {
    const { rows } = await this.pool.query<StoredEndpointCredentials>(
      `SELECT id, oauth2, mtls FROM endpoints WHERE id > $1 AND (oauth2 IS NOT NULL OR mtls IS NOT NULL)
       ORDER BY id LIMIT $2`,
      [after ?? "", limit],
    );
    return rows;
  }

  async replaceEndpointCredentials(changes: EndpointCredentialsChange[]): Promise<number> {
    if (changes.length === 0) return 0;
    const { rowCount } = await this.pool.query(
      `UPDATE endpoints e SET oauth2 = c.next_oauth2, mtls = c.next_mtls
       FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[])
         AS c (id, oauth2, mtls, next_oauth2, next_mtls)
       WHERE e.id = c.id AND e.oauth2 IS NOT DISTINCT FROM c.oauth2 AND e.mtls IS NOT DISTINCT FROM c.mtls`,
      [
        changes.map((c) => c.expected.id),
        changes.map((c) => c.expected.oauth2),
        changes.map((c) => c.expected.mtls),
        changes.map((c) => c.nextOAuth2),
        changes.map((c) => c.nextMtls),
      ],
    );
    return rowCount ?? 0;
  }
}
