/**
 * hookd answers every refused request with `{code, message}` and a stable code (its docs/errors.md lists them).
 * openapi-fetch hands that body back as `error`; `unwrap` turns it into a thrown HookdApiError for callers who
 * prefer exceptions, keeping the code so they can match on it rather than on the message text.
 */
import type { ApiErrorBody } from "./types.js";

export class HookdApiError extends Error {
  override readonly name = "HookdApiError";

  constructor(
    /** The HTTP status. */
    readonly status: number,
    /** hookd's stable error code, e.g. `ENDPOINT_NOT_FOUND`; `HTTP_<status>` when the body carried none. */
    readonly code: string,
    message: string,
    /** Validation details, when hookd gave any. */
    readonly details?: unknown[],
  ) {
    super(message);
  }
}

interface FetchResult<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

/**
 * The answer's data, or a HookdApiError when hookd refused the request.
 * @example const tenant = await unwrap(hookd.GET("/v1/tenants/{tenant_id}", { params: { path: { tenant_id } } }));
 */
export async function unwrap<T>(request: Promise<FetchResult<T>> | FetchResult<T>): Promise<T> {
  const { data, error, response } = await request;
  if (response.ok) return data as T;
  const body = (typeof error === "object" && error !== null ? error : {}) as Partial<ApiErrorBody>;
  throw new HookdApiError(
    response.status,
    typeof body.code === "string" ? body.code : `HTTP_${response.status}`,
    typeof body.message === "string" ? body.message : `hookd answered ${response.status} ${response.statusText}`.trim(),
    Array.isArray(body.details) ? body.details : undefined,
  );
}
