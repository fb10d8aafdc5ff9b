/** EndpointCredentialsStore on SQLite (see ports/endpoint-credentials.ts): both columns are JSON text. */
import type { Database } from "better-sqlite3";
import type {
  EndpointCredentialsChange,
  EndpointCredentialsStore,
  StoredEndpointCredentials,
} from "../ports/endpoint-credentials.ts";

export class SqliteEndpointCredentials implements EndpointCredentialsStore {
  constructor(private readonly db: Database) {}

  async listEndpointCredentials(after: string | null, limit: number): Promise<StoredEndpointCredentials[]> {
    return this.db
      .prepare(
        "SELECT id, oauth2, mtls FROM endpoints WHERE id > ? AND (oauth2 IS NOT NULL OR mtls IS NOT NULL) ORDER BY id LIMIT ?",
      )
      .all(after ?? "", limit) as StoredEndpointCredentials[];
  }

  async replaceEndpointCredentials(changes: EndpointCredentialsChange[]): Promise<number> {
    // `IS` compares NULLs as equal, so a column that was and still is NULL matches.
    const update = this.db.prepare("UPDATE endpoints SET oauth2 = ?, mtls = ? WHERE id = ? AND oauth2 IS ? AND mtls IS ?");
    return this.db
      .transaction(() =>
        changes.reduce(
          (n, c) => n + update.run(c.nextOAuth2, c.nextMtls, c.expected.id, c.expected.oauth2, c.expected.mtls).changes,
          0,
        ),
      )
      .immediate();
  }
}
