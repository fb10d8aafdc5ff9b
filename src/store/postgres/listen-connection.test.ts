/**
 * The LISTEN connection against a real PostgreSQL: notifications arrive on the channels asked for only, and after the
 * server ends the connection (as a restart does) it listens again by itself, says so, and receives what is sent next.
 */
import pg from "pg";
import { afterEach, beforeEach, expect, it } from "vitest";
import { eventually } from "../../../test/e2e/harness.ts";
import { createTestDatabase, type TestDatabase } from "../../../test/support/stores.ts";
import { ListenConnection } from "./listen-connection.ts";

let db: TestDatabase;
let admin: pg.Client;
const opened: ListenConnection[] = [];

beforeEach(async () => {
  db = await createTestDatabase("postgres");
  admin = new pg.Client({ connectionString: db.url });
  await admin.connect();
});
afterEach(async () => {
  for (const c of opened.splice(0)) await c.close();
  await admin.end();
  await db.destroy();
});

function listen(channels: string[]) {
  const got: { channel: string; payload: string | undefined }[] = [];
  let listening = 0;
  const errors: Error[] = [];
  const conn = new ListenConnection(db.url, channels, {
    onNotification: (channel, payload) => got.push({ channel, payload }),
    onListening: () => listening++,
    onError: (err) => errors.push(err),
  });
  opened.push(conn);
  conn.start();
  return { got, listening: () => listening, errors };
}

it("receives notifications of its channels only, and listens again after the server ends the connection", async () => {
  const l = listen(["test_one", "test_two"]);
  await eventually(() => expect(l.listening()).toBe(1));
  await admin.query("NOTIFY test_one, 'a'; NOTIFY test_other, 'x'; NOTIFY test_two, 'b'");
  await eventually(() => expect(l.got).toEqual([{ channel: "test_one", payload: "a" }, { channel: "test_two", payload: "b" }]));

  // The server ends every listening backend but ours, as a restart or an operator would.
  const { rows } = await admin.query<{ ended: boolean }>(
    "SELECT pg_terminate_backend(pid) AS ended FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()",
  );
  expect(rows.some((r) => r.ended)).toBe(true);
  await eventually(() => expect(l.listening()).toBe(2), 10_000);
  expect(l.errors.length).toBeGreaterThan(0);
  await admin.query("NOTIFY test_one, 'c'");
  await eventually(() => expect(l.got.map((g) => g.payload)).toEqual(["a", "b", "c"]));
});

it("refuses a channel name that is not a plain identifier", () => {
  expect(() => new ListenConnection(db.url, ["ok", "drop table; --"], { onNotification: () => {}, onListening: () => {}, onError: () => {} })).toThrow(
    /not a plain channel name/,
  );
});
