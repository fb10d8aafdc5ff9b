/**
 * `hookd deliveries list|show`: the delivery log. list filters as the API does (endpoint, event, type, status,
 * time window, attempts); show prints one delivery with every attempt, which answers "why did my webhook not
 * arrive?".
 */
import { Command } from "commander";
import type { Attempt, DeliveryDetail } from "../../../packages/client/src/index.ts";
import { usageError } from "../errors.ts";
import { formatRecord, formatTable } from "../output/table.ts";
import { apiAction, type CommandContext, connectionHelp, withConnection } from "./command.ts";
import { call } from "./connection.ts";
import { pageHint, parseLimit } from "./paging.ts";
import { parseTime } from "./time.ts";

const STATUSES = ["pending", "failed", "succeeded", "dead"];

/** The last outcome in a few words: the status code, or the error when there was no answer. */
const lastOutcome = (d: { last_status_code: number | null; last_error: string | null }) =>
  d.last_status_code !== null ? String(d.last_status_code) : (d.last_error ?? null);

function parseStatus(text: string | undefined): string[] | undefined {
  if (text === undefined) return undefined;
  const list = text.split(",").map((s) => s.trim());
  const wrong = list.filter((s) => !STATUSES.includes(s));
  if (wrong.length > 0) throw usageError(`--status takes ${STATUSES.join(", ")} (comma-separated), not ${wrong.join(",")}`);
  return list;
}

function detail(d: DeliveryDetail): string {
  const head = formatRecord([
    ["id", d.id],
    ["event", `${d.event_id} (${d.event_type})`],
    ["endpoint", d.endpoint_id],
    ["status", d.status],
    ["attempts", d.attempts.length],
    ["next attempt", d.next_attempt_at],
    ["url", d.request.url],
    ["created", d.created_at],
  ]);
  const attempts = formatTable<Attempt>(
    [
      { header: "#", value: (a) => a.attempt },
      { header: "started", value: (a) => a.started_at },
      { header: "duration", value: (a) => `${a.duration_ms} ms` },
      { header: "status", value: (a) => a.status_code },
      { header: "outcome", value: (a) => a.outcome },
      { header: "error", value: (a) => a.error },
      { header: "response", value: (a) => clip(a.response_body) },
    ],
    d.attempts,
  );
  return `${head}\nAttempts:\n${attempts}`;
}

/** Response bodies can be long and span lines; a table cell gets the start of the first line. */
function clip(text: string | null): string | null {
  if (text === null) return null;
  const line = text.replace(/\s+/g, " ").trim();
  return line.length > 60 ? `${line.slice(0, 59)}…` : line;
}

export function deliveriesCommand(ctx: CommandContext): Command {
  const deliveries = new Command("deliveries").description("search the delivery log and show a delivery with its attempts").addHelpText("after", connectionHelp(true));

  withConnection(deliveries.command("list").description("list deliveries, newest first"), { tenant: true })
    .option("--endpoint <endpoint_id>", "to this endpoint")
    .option("--event <event_id>", "of this event")
    .option("--type <filter>", "of event types matching this filter (invoice.paid, invoice.*)")
    .option("--status <list>", `in these statuses, comma-separated (${STATUSES.join(", ")})`)
    .option("--since <time>", "created at or after: a date-time, or a span back from now (30m, 2h, 7d)")
    .option("--until <time>", "created before: a date-time, or a span back from now")
    .option("--min-attempts <n>", "with at least this many attempts")
    .option("--limit <n>", "at most this many (1-250)", "50")
    .option("--cursor <cursor>", "the next page, as printed under the previous one")
    .action(
      apiAction(
        ctx,
        async (
          conn,
          out,
          opts: { endpoint?: string; event?: string; type?: string; status?: string; since?: string; until?: string; minAttempts?: string; limit: string; cursor?: string },
        ) => {
          const minAttempts = opts.minAttempts === undefined ? undefined : Number(opts.minAttempts);
          if (minAttempts !== undefined && !(Number.isInteger(minAttempts) && minAttempts >= 0)) throw usageError("--min-attempts must be a whole number");
          const page = await call(
            conn.settings,
            conn.client.GET("/v1/tenants/{tenant_id}/deliveries", {
              params: {
                path: { tenant_id: conn.tenant() },
                query: {
                  endpoint_id: opts.endpoint,
                  event_id: opts.event,
                  event_type: opts.type,
                  status: parseStatus(opts.status),
                  since: opts.since === undefined ? undefined : parseTime(opts.since, "--since"),
                  until: opts.until === undefined ? undefined : parseTime(opts.until, "--until"),
                  min_attempts: minAttempts,
                  limit: parseLimit(opts.limit),
                  cursor: opts.cursor,
                },
              },
            }),
          );
          out.result(page, () =>
            formatTable(
              [
                { header: "id", value: (d) => d.id },
                { header: "event type", value: (d) => d.event_type },
                { header: "endpoint", value: (d) => d.endpoint_id },
                { header: "status", value: (d) => d.status },
                { header: "attempts", value: (d) => d.attempts },
                { header: "last", value: lastOutcome },
                { header: "created", value: (d) => d.created_at },
              ],
              page.data,
            ),
          );
          out.note(pageHint(page.next_cursor));
        },
      ),
    );

  withConnection(deliveries.command("show").description("show a delivery, the request as sent and every attempt").argument("<delivery_id>"), {
    tenant: true,
  }).action(
    apiAction(ctx, async (conn, out, id: string) => {
      const d = await call(
        conn.settings,
        conn.client.GET("/v1/tenants/{tenant_id}/deliveries/{delivery_id}", { params: { path: { tenant_id: conn.tenant(), delivery_id: id } } }),
      );
      out.result(d, () => detail(d));
    }),
  );

  return deliveries;
}
