/**
 * The one registry of error codes hookd answers with. Callers match on `code`, never on message text, so a code
 * once published never changes meaning. docs/errors.md is checked against this table by a test.
 */
export const ERROR_CODES = {
  VALIDATION_FAILED: { status: 400, description: "The request body, query or path does not match the schema." },
  INVALID_JSON: { status: 400, description: "The request body is not valid JSON." },
  INVALID_CURSOR: { status: 400, description: "The pagination cursor was not issued by this server." },
  INVALID_SECRET: { status: 400, description: "An endpoint secret must be `whsec_` plus base64 of 24 to 64 bytes (HMAC), or `whsk_` plus base64 of a 32-byte Ed25519 seed." },
  INVALID_ENDPOINT_URL: { status: 400, description: "The endpoint URL cannot be parsed as an absolute URL." },
  TENANT_ID_RESERVED: { status: 400, description: "Tenant ids starting with `_hookd` are reserved for hookd itself." },
  UNAUTHORIZED: { status: 401, description: "The Authorization header is missing, malformed or names no valid key." },
  INVALID_PAYLOAD_TOKEN: {
    status: 401,
    description:
      "The token of a thin delivery's payload URL is malformed, altered, signed with a key hookd no longer has, issued for another event, or its endpoint no longer exists.",
  },
  PAYLOAD_TOKEN_EXPIRED: {
    status: 401,
    description:
      "The payload URL's token has expired (HOOKD_PAYLOAD_URL_TTL_S). Answer the thin delivery with an error instead: its retry carries a fresh URL.",
  },
  FORBIDDEN: { status: 403, description: "The key is valid but may not perform this action." },
  NOT_FOUND: { status: 404, description: "No route has this path." },
  METHOD_NOT_ALLOWED: {
    status: 405,
    description: "The path exists but not with this method; the `Allow` header lists the methods it takes.",
  },
  TENANT_NOT_FOUND: { status: 404, description: "No tenant has this id." },
  ENDPOINT_NOT_FOUND: { status: 404, description: "The tenant has no endpoint with this id." },
  EVENT_NOT_FOUND: { status: 404, description: "The tenant has no event with this id." },
  DELIVERY_NOT_FOUND: { status: 404, description: "The tenant has no delivery with this id." },
  HALTED_KEY_NOT_FOUND: {
    status: 404,
    description: "The ordering key is not halted on this endpoint (it was released already, or never halted).",
  },
  API_KEY_NOT_FOUND: { status: 404, description: "The tenant has no API key with this id." },
  TASK_NOT_FOUND: { status: 404, description: "The tenant has no task with this id." },
  EVENT_TYPE_NOT_FOUND: { status: 404, description: "The tenant has declared no event type with this name." },
  PORTAL_SESSION_NOT_FOUND: { status: 404, description: "The tenant has no portal session with this id." },
  RELAY_REQUEST_NOT_FOUND: {
    status: 404,
    description: "No delivery of this listen session waits for an answer with this id: it was answered, timed out, or the session ended.",
  },
  RELAY_NOT_CONNECTED: {
    status: 404,
    description: "No `hookd listen` session for this relay endpoint is connected to this API process (the relay route's answer to a worker; the delivery is retried).",
  },
  NOT_A_RELAY_ENDPOINT: { status: 409, description: "The endpoint is not a relay endpoint (`hookd listen`), so it has no listen session." },
  RELAY_URL_FIXED: { status: 409, description: "A relay endpoint's URL is hookd's own relay route: it cannot be set or changed." },
  TENANT_ALREADY_EXISTS: { status: 409, description: "A tenant with this id already exists." },
  EVENT_TYPE_EXISTS: { status: 409, description: "The tenant has already declared an event type with this name." },
  EVENT_ID_CONFLICT: {
    status: 409,
    description: "An event with this id already exists with a different type or data.",
  },
  DELIVERY_IN_FLIGHT: { status: 409, description: "The delivery is being attempted right now; replay it afterwards." },
  PAYLOAD_EXPUNGED: {
    status: 409,
    description: "The event's payload was expunged (retention or on request), so its deliveries cannot be replayed.",
  },
  DELIVERY_ALREADY_PENDING: { status: 409, description: "The delivery is already queued for an attempt." },
  ENDPOINT_DISABLED: {
    status: 409,
    description: "The endpoint is disabled, so nothing can be sent to it (a test send or a recover); enable it first.",
  },
  PORTAL_SESSION_ENDED: {
    status: 409,
    description: "The portal session was revoked or has expired, so it cannot be refreshed; create a new one.",
  },
  RECOVER_IN_PROGRESS: {
    status: 409,
    description: "The endpoint has a recover task queued or running already; one at a time per endpoint.",
  },
  PAYLOAD_TOO_LARGE: { status: 413, description: "The request body, or one event in it, is larger than allowed." },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, description: "Request bodies must be application/json." },
  IDEMPOTENCY_KEY_MISMATCH: {
    status: 422,
    description: "This Idempotency-Key was already used with a different request body.",
  },
  ENDPOINT_URL_FORBIDDEN: {
    status: 422,
    description:
      "hookd may not deliver to this URL: a scheme other than http(s), credentials, a port outside HOOKD_ALLOWED_PORTS, plain http under HOOKD_REQUIRE_HTTPS, a non-canonical IPv4 spelling, or a host that is or resolves to a loopback, private, link-local or other special address. The same rules hold for an endpoint's `oauth2.token_url` (then `details[0].pointer` is `/oauth2/token_url`). The message says which.",
  },
  ENDPOINT_URL_UNRESOLVABLE: {
    status: 422,
    description: "The endpoint URL's host name (or its `oauth2.token_url`'s, then `details[0].pointer` says so) does not resolve.",
  },
  INVALID_CLIENT_CERTIFICATE: {
    status: 422,
    description:
      "The endpoint's `mtls` settings cannot be used: a certificate or CA bundle that is not PEM X.509, a key that is not an unencrypted PEM private key or does not belong to the certificate, a certificate without its key or a key without its certificate, none of the three, or an endpoint URL that is not https. The message and `details[0].pointer` name the field.",
  },
  INVALID_FILTER: {
    status: 422,
    description:
      "The endpoint's payload filter breaks the filter language or one of its limits (16 KiB, 16 levels, 256 clauses, 1,000 values in a list; only scalars are compared). The message and `details[0].pointer` name the offending clause as a JSON pointer into the request body.",
  },
  INVALID_SCHEMA: {
    status: 422,
    description:
      "The event type's schema cannot be used: it does not compile as JSON Schema draft 2020-12 (strict: unknown keywords and formats are errors), or it breaks a limit (64 KiB, 32 levels, references only as `#/...` pointers within the schema and never recursive, at most 10,000 subschemas once references are expanded, patterns RE2 can run (no lookaround or backreferences, at most 1,024 characters), `uniqueItems` over objects or arrays only with `maxItems` <= 100). The message says which.",
  },
  SCHEMA_VALIDATION_FAILED: {
    status: 422,
    description:
      "An event's `data` does not match the schema declared for its type; nothing was written. `details` lists up to 20 problems as `{index?, type, instance_path, message}` (`index` is the event's position in a batch).",
  },
  SCHEMA_TOO_COSTLY: {
    status: 422,
    description:
      "Checking the request against its event types' schemas (or a schema being saved) took longer than `HOOKD_SCHEMA_VALIDATION_TIMEOUT_MS` or more memory than a validation thread has; nothing was written. Simplify the schema or send smaller events.",
  },
  UNKNOWN_EVENT_TYPE: {
    status: 422,
    description:
      "With HOOKD_STRICT_EVENT_TYPES: the event's type is not declared, or an endpoint subscribes to a type that is not declared (or is archived), or to a wildcard that matches no declared type.",
  },
  ENDPOINT_LIMIT_REACHED: {
    status: 422,
    description:
      "The tenant has as many endpoints as its quota allows (`max_endpoints`, default HOOKD_QUOTA_MAX_ENDPOINTS); delete one or ask the operator to raise the quota.",
  },
  FAN_OUT_LIMIT_EXCEEDED: {
    status: 422,
    description:
      "The publish request would create more deliveries (its events times their matching endpoints) than the tenant's `max_deliveries_per_request` quota; nothing was written. Send fewer events per request.",
  },
  RATE_LIMITED: {
    status: 429,
    description:
      "The tenant is over one of its rate quotas (`ingest_requests_per_second`, `ingest_bytes_per_second` or `deliveries_per_second`; `details[0].quota` names it); nothing was written. Retry after the `Retry-After` seconds.",
  },
  STORAGE_QUOTA_EXCEEDED: {
    status: 429,
    description:
      "The tenant keeps as many event payload bytes as its `max_stored_bytes` quota allows; nothing was written. Retry later (retention frees space as payloads age out), or ask the operator to raise the quota.",
  },
  EVENT_TYPE_LIMIT_REACHED: { status: 422, description: "The tenant has declared the most event types allowed (1000)." },
  SERVICE_UNAVAILABLE: {
    status: 503,
    description:
      "The store is unreachable; retry after the Retry-After delay.",
  },
  INTERNAL_ERROR: { status: 500, description: "An unexpected server fault; the log has the details." },
} as const satisfies Record<string, { status: number; description: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;
