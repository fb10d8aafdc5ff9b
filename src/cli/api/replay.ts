/**
 * `hookd replay`: send a delivery again (`hookd replay <delivery_id>`), or every dead (or failed) delivery of an
 * endpoint (`hookd replay --endpoint <endpoint_id>`), for instance once a receiver is fixed.
 */
import { Command, Option } from "commander";
import { usageError } from "../errors.ts";
import { formatRecord } from "../output/table.ts";
import { apiAction, type CommandContext, withConnection } from "./command.ts";
import { call } from "./connection.ts";
import { parseTime } from "./time.ts";

export function replayCommand(ctx: CommandContext): Command {
  const replay = new Command("replay")
    .description("replay one delivery, or an endpoint's dead (or failed) deliveries in bulk")
    .argument("[delivery_id]", "the delivery to send again")
    .option("--endpoint <endpoint_id>", "replay this endpoint's deliveries instead of one")
    .addOption(new Option("--status <status>", "with --endpoint: which deliveries").choices(["dead", "failed"]).default("dead"))
    .option("--since <time>", "with --endpoint: only those created since (a date-time, or 30m, 2h, 7d)");
  withConnection(replay, { tenant: true });
  replay.action(
    apiAction(ctx, async (conn, out, deliveryId: string | undefined, opts: { endpoint?: string; status: "dead" | "failed"; since?: string }) => {
      if ((deliveryId === undefined) === (opts.endpoint === undefined)) {
        throw usageError("give a delivery id, or --endpoint <endpoint_id> to replay in bulk (not both)");
      }
      const tenant_id = conn.tenant();
      if (opts.endpoint !== undefined) {
        const result = await call(
          conn.settings,
          conn.client.POST("/v1/tenants/{tenant_id}/endpoints/{endpoint_id}/replay", {
            params: { path: { tenant_id, endpoint_id: opts.endpoint } },
            body: { status: opts.status, since: opts.since === undefined ? undefined : parseTime(opts.since, "--since") },
          }),
        );
        out.result(result, () => `queued ${result.count} ${opts.status} deliveries of ${opts.endpoint} again\n`);
        return;
      }
      const d = await call(
        conn.settings,
        conn.client.POST("/v1/tenants/{tenant_id}/deliveries/{delivery_id}/replay", {
          params: { path: { tenant_id, delivery_id: deliveryId! } },
          body: {},
        }),
      );
      out.result(d, () =>
        formatRecord([
          ["id", d.id],
          ["status", d.status],
          ["attempts so far", d.attempts],
          ["next attempt", d.next_attempt_at],
        ]),
      );
    }),
  );
  return replay;
}
