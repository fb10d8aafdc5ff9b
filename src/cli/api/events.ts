/**
 * `hookd events publish <type>`: publishes one event, its data given inline, from a file, or on stdin (`-`).
 */
import { readFileSync } from "node:fs";
import { Command } from "commander";
import { usageError } from "../errors.ts";
import { formatRecord } from "../output/table.ts";
import { apiAction, type CommandContext, connectionHelp, withConnection } from "./command.ts";
import { call } from "./connection.ts";
import { parseObject } from "./tenants.ts";

export function eventsCommand(ctx: CommandContext): Command {
  const events = new Command("events").description("publish events").addHelpText("after", connectionHelp(true));

  withConnection(
    events.command("publish").description("publish an event to every endpoint subscribed to its type").argument("<type>", "the event type, e.g. invoice.paid"),
    { tenant: true },
  )
    .option("--data <json>", "the event's data, a JSON object (default: {})")
    .option("--data-file <path>", "read the data from a file instead, or from stdin with -")
    .option("--id <id>", "the event's id (default: generated)")
    .option("--idempotency-key <key>", "publishing again with the same key returns the first event instead of a new one")
    .action(
      apiAction(ctx, async (conn, out, type: string, opts: { data?: string; dataFile?: string; id?: string; idempotencyKey?: string }) => {
        if (opts.data !== undefined && opts.dataFile !== undefined) throw usageError("give --data or --data-file, not both");
        const text = opts.dataFile === undefined ? opts.data : readData(opts.dataFile);
        const event = await call(
          conn.settings,
          conn.client.POST("/v1/tenants/{tenant_id}/events", {
            params: {
              path: { tenant_id: conn.tenant() },
              header: opts.idempotencyKey === undefined ? undefined : { "idempotency-key": opts.idempotencyKey },
            },
            body: { type, id: opts.id, data: parseObject(text, opts.dataFile === undefined ? "--data" : "--data-file") ?? {} },
          }),
        );
        out.result(event, () =>
          formatRecord([
            ["id", event.id],
            ["type", event.type],
            ["created", event.created_at],
            ["endpoints", event.matched_endpoints],
          ]),
        );
      }),
    );
  return events;
}

function readData(path: string): string {
  try {
    return readFileSync(path === "-" ? 0 : path, "utf8");
  } catch (err) {
    throw usageError(`--data-file: cannot read ${path}: ${(err as Error).message}`);
  }
}
