/**
 * `hookd listen <local-url>`: webhooks on a developer's machine. Registers a relay endpoint for the tenant (or
 * resumes one with --endpoint), opens an outbound server-sent event stream to hookd (the session; nothing listens
 * on the laptop), POSTs every delivery that arrives to the local URL with the exact headers and body hookd signed,
 * and sends the local answer back as the delivery's outcome, printing one line per delivery.
 *
 * A dropped connection is reopened with backoff; meanwhile hookd keeps the deliveries and retries them. Stopping
 * the command (Ctrl-C, or the signal a test passes in) disables the relay endpoint: nothing more is fanned out to
 * it, and `--endpoint <id>` picks it up again later, with whatever was still pending.
 */
import { Command, Option } from "commander";
import { Agent, type Dispatcher, request } from "undici";
import { CliError, usageError } from "../errors.ts";
import { apiAction, type CommandContext, type Output, withConnection } from "./command.ts";
import { call, type Connection } from "./connection.ts";
import { forwardToLocal, type LocalAnswer, type RelayedDelivery } from "./forward-local.ts";
import { readServerSentEvents } from "./sse.ts";

const RECONNECT_MAX_MS = 10_000;

interface ListenOptions {
  events?: string;
  endpoint?: string;
}

export function listenCommand(ctx: CommandContext): Command {
  const cmd = new Command("listen")
    .description("forward a tenant's webhooks to a URL on this machine, over an outbound connection to hookd")
    .argument("<local-url>", "where to POST each delivery, e.g. http://localhost:3000/webhooks")
    .addOption(new Option("--events <types>", "event types to subscribe to, comma-separated; wildcards like order.* [default: *]"))
    .addOption(new Option("--endpoint <id>", "resume this relay endpoint (a previous session's) instead of registering a new one"));
  withConnection(cmd, { tenant: true });
  return cmd.action(
    apiAction(ctx, async (conn, out, localUrl: string, opts: ListenOptions) => {
      await listen(conn, out, checkLocalUrl(localUrl), opts, ctx.io.signal ?? processSignal());
    }),
  );
}

function checkLocalUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw usageError(`<local-url> must be an absolute http or https URL, e.g. http://localhost:3000/webhooks, not ${JSON.stringify(text)}`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw usageError("<local-url> must be an http or https URL");
  return url.href;
}

/** Stops on the first SIGINT or SIGTERM (main.ts installs no handlers for commands other than serve). */
function processSignal(): AbortSignal {
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  controller.signal.addEventListener("abort", () => {
    process.off("SIGINT", stop);
    process.off("SIGTERM", stop);
  });
  return controller.signal;
}

async function listen(conn: Connection, out: Output, localUrl: string, opts: ListenOptions, signal: AbortSignal): Promise<void> {
  const tenant = conn.tenant();
  const eventTypes = opts.events?.split(",").map((t) => t.trim()).filter((t) => t !== "");
  const registered = await call(
    conn.settings,
    conn.client.POST("/v1/tenants/{tenant_id}/relay-endpoints", {
      params: { path: { tenant_id: tenant } },
      body: { event_types: eventTypes, endpoint_id: opts.endpoint, description: `hookd listen ${localUrl}`.slice(0, 1024) },
    }),
  );
  const endpointId = registered.id;
  const secret =
    registered.secret ??
    (
      await call(
        conn.settings,
        conn.client.GET("/v1/tenants/{tenant_id}/endpoints/{endpoint_id}/secret", { params: { path: { tenant_id: tenant, endpoint_id: endpointId } } }),
      )
    ).secret;
  const events = registered.event_types.join(",");
  if (out.json) out.io.stdout(`${JSON.stringify({ ready: true, endpoint_id: endpointId, event_types: registered.event_types, secret })}\n`);
  else {
    out.io.stdout(
      `Forwarding tenant ${tenant}'s events (${events}) to ${localUrl}\n` +
        `Relay endpoint ${endpointId}; signing secret ${secret}\n` +
        `Stop with Ctrl-C (the endpoint is disabled); resume later with --endpoint ${endpointId}\n`,
    );
  }
  // The session's own connections, closed when the command stops (a pooled socket left open would hold hookd's
  // shutdown, and the process's exit, until it timed out).
  const dispatcher = new Agent({ keepAliveTimeout: 4_000 });
  try {
    await runSessions({ conn, out, tenant, endpointId, localUrl, signal, dispatcher });
  } finally {
    await dispatcher.destroy().catch(() => undefined);
    await call(
      conn.settings,
      conn.client.PATCH("/v1/tenants/{tenant_id}/endpoints/{endpoint_id}", {
        params: { path: { tenant_id: tenant, endpoint_id: endpointId } },
        body: { disabled: true },
      }),
    ).catch((err: unknown) => out.io.stderr(`hookd: could not disable relay endpoint ${endpointId}: ${(err as Error).message}\n`));
    out.note(`Stopped; relay endpoint ${endpointId} disabled.`);
  }
}

interface SessionContext {
  conn: Connection;
  out: Output;
  tenant: string;
  endpointId: string;
  localUrl: string;
  signal: AbortSignal;
  dispatcher: Dispatcher;
}

/** Keeps a session open until `signal` aborts, reconnecting with backoff when the connection drops. */
async function runSessions(s: SessionContext): Promise<void> {
  const { out, signal } = s;
  let backoffMs = 500;
  while (!signal.aborted) {
    try {
      await oneSession(s);
      backoffMs = 500;
    } catch (err) {
      if (signal.aborted) return;
      if (err instanceof CliError) throw err;
      out.io.stderr(`hookd: session lost (${(err as Error).message}); reconnecting in ${backoffMs} ms\n`);
    }
    if (signal.aborted) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, backoffMs);
      signal.addEventListener("abort", () => (clearTimeout(timer), resolve()), { once: true });
    });
    backoffMs = Math.min(backoffMs * 2, RECONNECT_MAX_MS);
  }
}

async function oneSession(s: SessionContext): Promise<void> {
  const { conn, tenant, endpointId, signal } = s;
  const base = conn.settings.url.replace(/\/+$/, "");
  const path = `/v1/tenants/${encodeURIComponent(tenant)}/relay-endpoints/${encodeURIComponent(endpointId)}`;
  const res = await request(`${base}${path}/session`, {
    headers: { authorization: `Bearer ${conn.settings.key ?? ""}`, accept: "text/event-stream" },
    signal,
    dispatcher: s.dispatcher,
  });
  if (res.statusCode !== 200) {
    const answer = (await res.body.json().catch(() => ({}))) as { code?: string; message?: string };
    throw new CliError(answer.message ?? `hookd answered ${res.statusCode}`, answer.code ?? null);
  }
  const inFlight = new Set<Promise<void>>();
  try {
    for await (const e of readServerSentEvents(res.body)) {
      if (e.event !== "delivery") continue;
      const delivery = JSON.parse(e.data) as RelayedDelivery;
      const task = relayOne(s, delivery).finally(() => inFlight.delete(task));
      inFlight.add(task);
    }
  } finally {
    await Promise.allSettled([...inFlight]);
  }
  throw new Error("hookd closed the session");
}

async function relayOne(s: SessionContext, delivery: RelayedDelivery): Promise<void> {
  const { conn, out, tenant, endpointId } = s;
  const answer = await forwardToLocal(s.localUrl, delivery, s.signal, s.dispatcher);
  printLine(out, delivery, answer);
  await call(
    conn.settings,
    conn.client.POST("/v1/tenants/{tenant_id}/relay-endpoints/{endpoint_id}/answers", {
      params: { path: { tenant_id: tenant, endpoint_id: endpointId } },
      body: answer,
    }),
  ).catch((err: unknown) => {
    // hookd stopped waiting (the attempt timed out or the session was replaced): it retries the delivery itself.
    out.io.stderr(`hookd: answer for ${delivery.headers["webhook-id"] ?? delivery.id} not taken: ${(err as Error).message}\n`);
  });
}

function printLine(out: Output, delivery: RelayedDelivery, answer: LocalAnswer): void {
  let type = "?";
  try {
    const parsed = (JSON.parse(delivery.body) as { type?: unknown }).type;
    if (typeof parsed === "string") type = parsed;
  } catch {
    // Not JSON: hookd always sends JSON, so this is only a guard for the printed line.
  }
  const line = {
    time: new Date().toISOString(),
    type,
    id: delivery.headers["webhook-id"] ?? "",
    attempt: Number(delivery.headers["webhook-attempt"] ?? 0),
    status: answer.status ?? null,
    error: answer.error ?? null,
    duration_ms: answer.duration_ms,
  };
  if (out.json) {
    out.io.stdout(`${JSON.stringify(line)}\n`);
    return;
  }
  const result = line.status === null ? `error: ${line.error}` : String(line.status);
  out.io.stdout(`${line.time}  ${line.type}  ${line.id}  attempt ${line.attempt}  -> ${result}  ${line.duration_ms} ms\n`);
}
