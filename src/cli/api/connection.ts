/**
 * The HTTP client behind the resource commands: the typed client from packages/client (generated from
 * openapi.json), pointed at `--url` with `--key`. The client's source is imported by path rather than by package
 * name because hookd runs from source with no build step, and the command line must work from any working
 * directory (a package name would resolve to the package's build output, which exists only once it is packed).
 */
import { createHookdClient, HookdApiError, type HookdClient, unwrap } from "../../../packages/client/src/index.ts";
import { type ClientSettings, loadClientSettings } from "../../config/client-settings.ts";
import { CliError, usageError } from "../errors.ts";

export type { HookdClient };

export interface Connection {
  settings: ClientSettings;
  client: HookdClient;
  /** The tenant, or a usage error saying how to give one. */
  tenant(): string;
}

export interface ConnectionFlags {
  url?: string;
  key?: string;
  tenant?: string;
}

export function connect(env: Record<string, string | undefined>, flags: ConnectionFlags): Connection {
  const settings = loadClientSettings(env, flags);
  let base: URL;
  try {
    base = new URL(settings.url);
  } catch {
    throw usageError(`--url / HOOKD_URL is not a URL: ${JSON.stringify(settings.url)}`);
  }
  if (!settings.key) {
    throw usageError(
      "no API key: pass --key or set HOOKD_API_KEY (the admin key hookd printed at its first start; `hookd admin-key create` mints one)",
    );
  }
  return {
    settings,
    client: createHookdClient({ baseUrl: base.href, apiKey: settings.key }),
    tenant: () => {
      if (!settings.tenant) throw usageError("no tenant: pass --tenant or set HOOKD_TENANT");
      return settings.tenant;
    },
  };
}

/**
 * The answer's data; a refusal becomes a CliError with hookd's code and message, and a connection failure one that
 * says where it looked for hookd.
 */
export async function call<T>(settings: ClientSettings, request: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  try {
    return await unwrap(request);
  } catch (err) {
    if (err instanceof HookdApiError) throw new CliError(err.message, err.code);
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    const why = cause?.code ?? cause?.message ?? (err as Error).message;
    throw new CliError(`cannot reach hookd at ${settings.url} (${why}); is it running? Set --url or HOOKD_URL`);
  }
}
