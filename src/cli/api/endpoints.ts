/**
 * `hookd endpoints list|create|show|rotate-secret|enable|disable`: a tenant's endpoints over the API. The signing
 * secret is printed by create and rotate-secret only, as the API shows it only then.
 */
import { Command, Option } from "commander";
import type { Endpoint } from "../../../packages/client/src/index.ts";
import { usageError } from "../errors.ts";
import { type Cell, formatRecord, formatTable, joined } from "../output/table.ts";
import { apiAction, type CommandContext, connectionHelp, withConnection } from "./command.ts";
import { call } from "./connection.ts";
import { pageHint, parseLimit } from "./paging.ts";
import { parseObject } from "./tenants.ts";

type Health = NonNullable<Endpoint["health"]>;

function fields(e: Endpoint): Array<[string, Cell]> {
  const h: Health | undefined = e.health;
  return [
    ["id", e.id],
    ["url", e.url],
    ["description", e.description],
    ["event types", joined(e.event_types)],
    ["signature", e.signature_scheme],
    ...(e.public_key ? [["public key", e.public_key] as [string, Cell]] : []),
    ["status", e.disabled ? `disabled${e.disabled_reason ? ` (${e.disabled_reason})` : ""}` : "enabled"],
    ["retry schedule", e.retry_schedule_s ? `${e.retry_schedule_s.join(",")} s` : "default"],
    ["timeout", `${e.timeout_ms} ms`],
    ["max in flight", e.max_in_flight],
    ["rate limit", e.rate_limit_per_s === null ? "none" : `${e.rate_limit_per_s}/s`],
    ...(h
      ? ([
          ["breaker", h.breaker],
          ["failure rate", percent(h.failure_rate)],
          ["latency p50/p95", h.p50_ms === null ? null : `${h.p50_ms}/${h.p95_ms} ms`],
          ["last success", h.last_success_at],
        ] as Array<[string, Cell]>)
      : []),
    ["created", e.created_at],
  ];
}

const percent = (rate: number | null | undefined) => (rate === null || rate === undefined ? null : `${Math.round(rate * 100)}%`);

const status = (e: Endpoint) => (e.disabled ? "disabled" : "enabled");

/** `--retry-schedule 0,2,5` */
function parseSchedule(text: string | undefined): number[] | undefined {
  if (text === undefined) return undefined;
  const list = text.split(",").map((s) => Number(s.trim()));
  if (list.length === 0 || list.some((n) => !Number.isInteger(n) || n < 0)) {
    throw usageError("--retry-schedule must be seconds before each attempt, comma-separated, e.g. 0,60,600");
  }
  return list;
}

/** `--header name=value`, repeatable. */
function parseHeaders(list: string[]): Record<string, string> | undefined {
  if (list.length === 0) return undefined;
  const out: Record<string, string> = {};
  for (const item of list) {
    const eq = item.indexOf("=");
    if (eq <= 0) throw usageError(`--header must be name=value, not ${JSON.stringify(item)}`);
    out[item.slice(0, eq)] = item.slice(eq + 1);
  }
  return out;
}

const collect = (value: string, previous: string[]) => [...previous, value];

function integer(flag: string) {
  return (text: string) => {
    const n = Number(text);
    if (!Number.isInteger(n)) throw usageError(`${flag} must be a whole number, not ${JSON.stringify(text)}`);
    return n;
  };
}

export function endpointsCommand(ctx: CommandContext): Command {
  const endpoints = new Command("endpoints").description("list, create, show, rotate, enable and disable a tenant's endpoints").addHelpText("after", connectionHelp(true));
  const path = (conn: { tenant(): string }, endpoint_id: string) => ({ params: { path: { tenant_id: conn.tenant(), endpoint_id } } });

  withConnection(endpoints.command("list").description("list the tenant's endpoints with their health"), { tenant: true })
    .option("--limit <n>", "at most this many (1-250)", "50")
    .option("--cursor <cursor>", "the next page, as printed under the previous one")
    .action(
      apiAction(ctx, async (conn, out, opts: { limit: string; cursor?: string }) => {
        const page = await call(
          conn.settings,
          conn.client.GET("/v1/tenants/{tenant_id}/endpoints", {
            params: { path: { tenant_id: conn.tenant() }, query: { limit: parseLimit(opts.limit), cursor: opts.cursor } },
          }),
        );
        out.result(page, () =>
          formatTable(
            [
              { header: "id", value: (e) => e.id },
              { header: "url", value: (e) => e.url },
              { header: "event types", value: (e) => joined(e.event_types) },
              { header: "status", value: status },
              { header: "breaker", value: (e) => e.health?.breaker },
              { header: "failure rate", value: (e) => percent(e.health?.failure_rate) },
            ],
            page.data,
          ),
        );
        out.note(pageHint(page.next_cursor));
      }),
    );

  withConnection(
    endpoints.command("create").description("create an endpoint; prints its signing secret, shown only this once").argument("<url>", "where deliveries are POSTed"),
    { tenant: true },
  )
    .option("--event-type <filter>", "event types to receive, repeatable (invoice.paid, invoice.*, *)", collect, [])
    .option("--description <text>", "what the endpoint is for")
    .option("--secret <secret>", "signing secret to use (default: generated): whsec_... (HMAC) or whsk_... (Ed25519)")
    .addOption(new Option("--signature <scheme>", "how deliveries are signed").choices(["hmac_sha256", "ed25519"]))
    .option("--retry-schedule <seconds>", "seconds before each attempt, comma-separated (default: the server's)")
    .option("--timeout-ms <ms>", "request timeout (1000-30000)", integer("--timeout-ms"))
    .option("--max-in-flight <n>", "requests under way at once", integer("--max-in-flight"))
    .option("--rate-limit <per-second>", "most requests per second", Number)
    .option("--header <name=value>", "a header sent with every delivery, repeatable", collect, [])
    .option("--metadata <json>", "a JSON object kept with the endpoint")
    .action(
      apiAction(
        ctx,
        async (
          conn,
          out,
          url: string,
          opts: {
            eventType: string[];
            description?: string;
            secret?: string;
            signature?: "hmac_sha256" | "ed25519";
            retrySchedule?: string;
            timeoutMs?: number;
            maxInFlight?: number;
            rateLimit?: number;
            header: string[];
            metadata?: string;
          },
        ) => {
          const created = await call(
            conn.settings,
            conn.client.POST("/v1/tenants/{tenant_id}/endpoints", {
              params: { path: { tenant_id: conn.tenant() } },
              body: {
                url,
                event_types: opts.eventType.length > 0 ? opts.eventType : undefined,
                description: opts.description,
                secret: opts.secret,
                signature_scheme: opts.signature,
                retry_schedule_s: parseSchedule(opts.retrySchedule),
                timeout_ms: opts.timeoutMs,
                max_in_flight: opts.maxInFlight,
                rate_limit_per_s: opts.rateLimit,
                headers: parseHeaders(opts.header),
                metadata: parseObject(opts.metadata, "--metadata"),
              },
            }),
          );
          out.result(created, () => formatRecord([...fields(created), ["secret", created.secret]]));
          out.note("\nThe secret is shown only this once; give it to the receiver (WEBHOOK_SECRET for the example receiver).");
        },
      ),
    );

  withConnection(endpoints.command("show").description("show one endpoint with its health").argument("<endpoint_id>"), { tenant: true }).action(
    apiAction(ctx, async (conn, out, id: string) => {
      const ep = await call(conn.settings, conn.client.GET("/v1/tenants/{tenant_id}/endpoints/{endpoint_id}", path(conn, id)));
      out.result(ep, () => formatRecord(fields(ep)));
    }),
  );

  withConnection(
    endpoints
      .command("rotate-secret")
      .description("give the endpoint a new signing secret; the old one keeps signing beside it for a while")
      .argument("<endpoint_id>"),
    { tenant: true },
  )
    .option("--secret <secret>", "the new secret (default: generated)")
    .option("--expire-old-after <seconds>", "how long the old secret still signs (default: the server's, 24 h; 0 stops it now)", integer("--expire-old-after"))
    .action(
      apiAction(ctx, async (conn, out, id: string, opts: { secret?: string; expireOldAfter?: number }) => {
        const rotated = await call(
          conn.settings,
          conn.client.POST("/v1/tenants/{tenant_id}/endpoints/{endpoint_id}/rotate-secret", {
            ...path(conn, id),
            body: { secret: opts.secret, expire_old_after_s: opts.expireOldAfter },
          }),
        );
        out.result(rotated, () =>
          formatRecord([
            ["secret", rotated.secret],
            ...(rotated.public_key ? [["public key", rotated.public_key] as [string, Cell]] : []),
            ["old secret signs until", rotated.previous_secret_expires_at ?? "no longer"],
          ]),
        );
      }),
    );

  for (const [name, disabled] of [["enable", false], ["disable", true]] as const) {
    withConnection(
      endpoints
        .command(name)
        .description(disabled ? "stop deliveries to the endpoint (they wait until it is enabled)" : "resume deliveries to a disabled endpoint")
        .argument("<endpoint_id>"),
      { tenant: true },
    ).action(
      apiAction(ctx, async (conn, out, id: string) => {
        const ep = disabled
          ? await call(conn.settings, conn.client.PATCH("/v1/tenants/{tenant_id}/endpoints/{endpoint_id}", { ...path(conn, id), body: { disabled: true } }))
          : await call(conn.settings, conn.client.POST("/v1/tenants/{tenant_id}/endpoints/{endpoint_id}/enable", { ...path(conn, id), body: {} }));
        out.result(ep, () => `${ep.id} ${status(ep)}\n`);
      }),
    );
  }

  return endpoints;
}
