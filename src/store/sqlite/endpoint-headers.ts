/**
 * EndpointHeadersStore on SQLite (see ports/endpoint-headers.ts). `headers` is JSON text, and the text as read is
 * the version a write compares against.
 */
import type { Database } from "better-sqlite3";
import type { EndpointHeadersChange, EndpointHeadersStore, StoredEndpointHeaders } from "../ports/endpoint-headers.ts";

export class SqliteEndpointHeaders implements EndpointHeadersStore {
  constructor(private readonly db: Database) {}

  async listEndpointHeaders(after: string | null, limit: number): Promise<StoredEndpointHeaders[]> {
    const rows = this.db
      .prepare("SELECT id, headers FROM endpoints WHERE id > ? AND headers <> '{}' ORDER BY id LIMIT ?")
      .all(after ?? "", limit) as { id: string; headers: string }[];
    return rows.map((r) => ({ id: r.id, headers: JSON.parse(r.headers) as Record<string, string>, version: r.headers }));
  }

  async replaceEndpointHeaders(changes: EndpointHeadersChange[]): Promise<number> {
    const update = this.db.prepare("UPDATE endpoints SET headers = ? WHERE id = ? AND headers = ?");
    return this.db
      .transaction(() => changes.reduce((n, c) => n + update.run(JSON.stringify(c.headers), c.id, c.version).changes, 0))
      .immediate();
  }
}
