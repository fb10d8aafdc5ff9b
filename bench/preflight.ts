/**
 * Owns the start-up checks: the bench needs Redis (BullMQ baseline) and PostgreSQL (the PostgreSQL shapes and
 * backlog) on localhost. Each is probed once, quickly, and a missing one is named with what to do about it, before
 * anything long starts.
 */
import { connect } from "node:net";
import pg from "pg";

export async function checkRedis(host: string, port: number): Promise<string | null> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (problem: string | null) => {
      socket.destroy();
      resolve(problem);
    };
    socket.setTimeout(3000, () => done(`no answer from ${host}:${port} within 3 s`));
    socket.once("error", (err) => done(`${host}:${port}: ${err.message}`));
    socket.once("connect", () => socket.write("PING\r\n"));
    socket.once("data", (chunk) => {
      const reply = chunk.toString().trim();
      done(reply === "+PONG" ? null : `${host}:${port} answered PING with ${JSON.stringify(reply.slice(0, 80))}`);
    });
  });
}

export async function checkPostgres(adminUrl: string): Promise<string | null> {
  const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    const { rows } = await client.query<{ ok: boolean }>(
      "SELECT rolcreatedb OR rolsuper AS ok FROM pg_roles WHERE rolname = current_user",
    );
    if (!rows[0]?.ok) return `${redact(adminUrl)}: the user may not CREATE DATABASE (the bench makes a fresh one per run)`;
    return null;
  } catch (err) {
    return `${redact(adminUrl)}: ${(err as Error).message}`;
  } finally {
    await client.end().catch(() => undefined);
  }
}

function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return url;
  }
}
