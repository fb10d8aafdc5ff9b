/**
 * `hookd tenants list|create|show`: the tenants, over the API (an admin key lists and creates; a tenant key shows its
 * own tenant).
 */
import { Command } from "commander";
import type { Tenant } from "../../../packages/client/src/index.ts";
import { usageError } from "../errors.ts";
import { formatRecord, formatTable } from "../output/table.ts";
import { apiAction, type CommandContext, connectionHelp, withConnection } from "./command.ts";
import { call } from "./connection.ts";
import { pageHint, parseLimit } from "./paging.ts";

const record = (t: Tenant) =>
  formatRecord([
    ["id", t.id],
    ["name", t.name],
    ["metadata", JSON.stringify(t.metadata)],
    ["created", t.created_at],
    ["updated", t.updated_at],
  ]);

export function tenantsCommand(ctx: CommandContext): Command {
  const tenants = new Command("tenants").description("list, create and show tenants").addHelpText("after", connectionHelp(false));

  withConnection(tenants.command("list").description("list tenants (admin key), oldest first"), { tenant: false })
    .option("--limit <n>", "at most this many (1-250)", "50")
    .option("--cursor <cursor>", "the next page, as printed under the previous one")
    .action(
      apiAction(ctx, async (conn, out, opts: { limit: string; cursor?: string }) => {
        const page = await call(
          conn.settings,
          conn.client.GET("/v1/tenants", { params: { query: { limit: parseLimit(opts.limit), cursor: opts.cursor } } }),
        );
        out.result(page, () =>
          formatTable(
            [
              { header: "id", value: (t) => t.id },
              { header: "name", value: (t) => t.name },
              { header: "created", value: (t) => t.created_at },
            ],
            page.data,
          ),
        );
        out.note(pageHint(page.next_cursor));
      }),
    );

  withConnection(tenants.command("create").description("create a tenant (admin key)"), { tenant: false })
    .requiredOption("--name <name>", "display name")
    .option("--id <id>", "the tenant's id (default: generated); your own customer id works well")
    .option("--metadata <json>", "a JSON object kept with the tenant")
    .action(
      apiAction(ctx, async (conn, out, opts: { name: string; id?: string; metadata?: string }) => {
        const tenant = await call(
          conn.settings,
          conn.client.POST("/v1/tenants", { body: { name: opts.name, id: opts.id, metadata: parseObject(opts.metadata, "--metadata") } }),
        );
        out.result(tenant, () => record(tenant));
      }),
    );

  withConnection(tenants.command("show").description("show one tenant").argument("<tenant_id>"), { tenant: false }).action(
    apiAction(ctx, async (conn, out, id: string) => {
      const tenant = await call(conn.settings, conn.client.GET("/v1/tenants/{tenant_id}", { params: { path: { tenant_id: id } } }));
      out.result(tenant, () => record(tenant));
    }),
  );

  return tenants;
}

/** A JSON object given as a flag's value; undefined when the flag was not given. */
export function parseObject(text: string | undefined, flag: string): Record<string, unknown> | undefined {
  if (text === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw usageError(`${flag} must be a JSON object, e.g. '{"plan":"pro"}'`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw usageError(`${flag} must be a JSON object`);
  return value as Record<string, unknown>;
}
