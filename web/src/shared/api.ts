/**
 * The pages' only way to the server: hookd's own JSON API on the same origin, with the page's bearer token (the
 * portal's session token or the operator's admin key). Errors arrive as `{code, message}` and are thrown as ApiError
 * so pages can show the message and react to the code (401: the session ended).
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

// The pages read API answers field by field; their shapes are the OpenAPI document's, not repeated here.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = Record<string, any>;

export interface Client {
  get<T = Json>(path: string): Promise<T>;
  send<T = Json>(method: "POST" | "PATCH" | "PUT" | "DELETE", path: string, body?: unknown): Promise<T>;
}

export function createClient(token: () => string | null, onUnauthorized: (err: ApiError) => void): Client {
  async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { accept: "application/json" };
    const bearer = token();
    if (bearer) headers.authorization = `Bearer ${bearer}`;
    if (body !== undefined) headers["content-type"] = "application/json";
    let res: Response;
    try {
      res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    } catch {
      throw new ApiError(0, "NETWORK", "hookd could not be reached; check the connection and try again");
    }
    const text = await res.text();
    const parsed = text ? (JSON.parse(text) as Json) : undefined;
    if (!res.ok) {
      const err = new ApiError(res.status, parsed?.code ?? "ERROR", parsed?.message ?? `request failed (${res.status})`);
      if (res.status === 401) onUnauthorized(err);
      throw err;
    }
    return parsed as T;
  }
  return {
    get: (path) => call("GET", path),
    send: (method, path, body) => call(method, path, body),
  };
}

/** A query string from the defined, non-empty values. */
export function query(params: Record<string, string | number | undefined | null>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== "") q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : "";
}
