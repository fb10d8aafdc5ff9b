/**
 * The outbox relay: moves rows of a producer database's `hookd_outbox` (ddl.ts) into hookd, in seq order, through
 * the ordinary ingest service, and deletes them. Started by `hookd serve --outbox <url>` (or HOOKD_OUTBOX_URLS), one
 * relay per producer database, in every process that is given the URL.
 *
 * One batch is one transaction on the producer's database:
 *
 *   BEGIN; pg_try_advisory_xact_lock -> read up to 100 rows in seq order -> publish them into hookd (each publish
 *   commits in hookd's store) -> DELETE the published rows, mark refused ones failed -> COMMIT
 *
 * - Exactly once into hookd: a row's id is its event's id in hookd. If the relay dies after hookd committed and
 *   before the producer's COMMIT, the rows are still there and are published again; hookd finds each event already
 *   stored with the same content and creates nothing (not even deliveries), however long afterwards that happens.
 * - One relay at a time per database, so rows reach hookd in seq order even with many hookd processes relaying the
 *   same outbox: the advisory lock is taken per batch, and a relay that does not get it leaves the rows to the one
 *   that has it (which keeps draining until a batch comes back short). A relay that dies releases the lock with
 *   its connection, and the next notification or poll lets another take over.
 * - Woken by NOTIFY hookd_outbox (listener.ts) within milliseconds of a producer's commit; HOOKD_OUTBOX_POLL_INTERVAL_MS
 *   is the safety net. A failure that is not the row's fault (hookd's store unreachable, the producer's database
 *   down) rolls the batch back and is retried with backoff; nothing is skipped.
 */
import type { Logger } from "pino";
import type pg from "pg";
import { WakeSignal } from "../delivery/wake-signal.ts";
import { createPool } from "../store/postgres/pool.ts";
import { OUTBOX_TABLE } from "./ddl.ts";
import { OutboxListener } from "./listener.ts";
import { type OutboxRow, type Publisher, publishRows } from "./relay-rows.ts";

/** Arbitrary but fixed: the advisory lock every hookd relay of one database agrees on (not hookd's migration lock). */
const RELAY_LOCK_KEY = 7_313_604_232;
const BATCH = 100;
const MAX_BACKOFF_MS = 30_000;
/** PostgreSQL's SQLSTATE for a table that does not exist. */
const UNDEFINED_TABLE = "42P01";

export interface OutboxRelayOptions {
  /** postgres:// URL of the producer's database. */
  url: string;
  events: Publisher;
  log: Logger;
  pollIntervalMs: number;
  /** Told how many events each publish created (metrics). */
  onPublished?: (tenantId: string, count: number) => void;
}

export class OutboxRelay {
  private readonly pool: pg.Pool;
  private readonly listener: OutboxListener;
  private readonly wake = new WakeSignal();
  private readonly log: Logger;
  private loop: Promise<void> | null = null;
  private stopped = false;
  private failures = 0;

  constructor(private readonly opts: OutboxRelayOptions) {
    this.log = opts.log.child({ outbox: redactUrl(opts.url) });
    const onError = (err: Error) => this.log.warn({ err }, "outbox connection error");
    this.pool = createPool(opts.url, 2, onError);
    this.listener = new OutboxListener(opts.url, () => this.wake.notify(), onError);
  }

  start(): void {
    if (this.loop) return;
    this.listener.start();
    this.loop = this.run();
  }

  /** Lets the batch under way commit, then closes the connections. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wake.notify();
    await this.loop;
    await this.listener.close();
    await this.pool.end();
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      let waitMs = this.opts.pollIntervalMs;
      try {
        const n = await this.relayBatch();
        this.failures = 0;
        if (n === BATCH) continue; // more may be waiting
      } catch (err) {
        this.failures++;
        waitMs = Math.min(MAX_BACKOFF_MS, 100 * 2 ** Math.min(this.failures, 10));
        const missing = (err as { code?: string }).code === UNDEFINED_TABLE;
        this.log.warn(
          { err, retry_in_ms: waitMs },
          missing
            ? "the producer database has no hookd_outbox table: run `hookd outbox install --database-url <url>`"
            : "outbox relay batch failed; it is retried",
        );
      }
      if (!this.stopped) await this.wake.wait(waitMs);
    }
  }

  /** One batch; returns how many rows it handled (0 when another relay holds the lock). */
  async relayBatch(): Promise<number> {
    const client = await this.pool.connect();
    let broken = false;
    try {
      await client.query("BEGIN");
      const { rows: lock } = await client.query<{ locked: boolean }>("SELECT pg_try_advisory_xact_lock($1) AS locked", [
        RELAY_LOCK_KEY,
      ]);
      if (!lock[0]?.locked) {
        await client.query("ROLLBACK");
        return 0;
      }
      const { rows } = await client.query<OutboxRow>(
        // o.seq, not seq: ORDER BY a bare name would sort by the text output column (1, 10, 2 ...).
        `SELECT o.seq::text AS seq, o.id, o.tenant_id, o.type, o.data::text AS data, o.idempotency_key
         FROM ${OUTBOX_TABLE} o WHERE o.failed_at IS NULL ORDER BY o.seq LIMIT $1`,
        [BATCH],
      );
      const outcomes = await publishRows(rows, this.opts.events, this.opts.onPublished ?? (() => undefined));
      const done = outcomes.filter((o) => o.error === null).map((o) => o.seq);
      const failed = outcomes.filter((o): o is { seq: string; error: string } => o.error !== null);
      if (done.length > 0) await client.query(`DELETE FROM ${OUTBOX_TABLE} WHERE seq = ANY ($1::bigint[])`, [done]);
      if (failed.length > 0) {
        await client.query(
          `UPDATE ${OUTBOX_TABLE} o SET failed_at = now(), error = f.error
           FROM unnest($1::bigint[], $2::text[]) AS f (seq, error) WHERE o.seq = f.seq`,
          [failed.map((f) => f.seq), failed.map((f) => f.error)],
        );
        for (const f of failed) this.log.warn({ seq: f.seq, error: f.error }, "outbox row refused by hookd; marked failed");
      }
      await client.query("COMMIT");
      if (rows.length > 0) this.log.debug({ relayed: done.length, failed: failed.length }, "outbox batch relayed");
      return rows.length;
    } catch (err) {
      await client.query("ROLLBACK").catch(() => {
        broken = true;
      });
      throw err;
    } finally {
      // A connection whose ROLLBACK failed is in an unknown state: drop it rather than hand it out again.
      client.release(broken);
    }
  }
}

/** The URL without its password, for logs. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return "(unparseable URL)";
  }
}
