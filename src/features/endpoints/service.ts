/**
 * Endpoints: where a tenant's events go. The URL is checked against the egress policy when it is registered or
 * changed (and again at every connect, in outbound/), the secret is validated or generated, and custom headers may
 * never shadow the protocol headers hookd signs.
 */
import { RESERVED_HEADERS } from "../../delivery/prepare.ts";
import { validateRetrySchedule } from "../../delivery/retry-schedule.ts";
import { newId } from "../../domain/ids.ts";
import { type BreakerSettings, DEFAULT_BREAKER } from "../../isolation/breaker.ts";
import { type EndpointHealth, endpointHealth } from "../../isolation/health.ts";
import type { Endpoint, JsonObject, Page } from "../../domain/types.ts";
import { AppError } from "../../errors/app-error.ts";
import { checkMetadata } from "../../http/common-schemas.ts";
import { checkEndpointUrl, type EgressPolicy } from "../../outbound/egress-policy.ts";
import { DnsLookupError, EgressBlockedError } from "../../outbound/target-check.ts";
import { generateSecret, parseSecret, SecretFormatError } from "../../signing/secret.ts";
import type { EndpointPatch, PageRequest, Store } from "../../store/store.ts";
import { endpointAudit } from "../audit/notes.ts";

export const DEFAULT_TIMEOUT_MS = 15_000;
/** Deliveries in flight at once per endpoint, across all workers, unless the endpoint says otherwise. */
export const DEFAULT_MAX_IN_FLIGHT = 16;

export interface EndpointInput {
  url: string;
  description?: string | undefined;
  event_types?: string[] | undefined;
  secret?: string | undefined;
  headers?: Record<string, string> | undefined;
  timeout_ms?: number | undefined;
  max_in_flight?: number | undefined;
  rate_limit_per_s?: number | null | undefined;
  retry_schedule_s?: number[] | null | undefined;
  disabled?: boolean | undefined;
  metadata?: JsonObject | undefined;
}

export class EndpointService {
  constructor(
    private readonly store: Store,
    private readonly policy: EgressPolicy,
    private readonly now: () => number = Date.now,
    private readonly breaker: BreakerSettings = DEFAULT_BREAKER,
  ) {}

  /** `actorKeyId` (here and below) is the API key making the change, for the audit log. */
  async create(tenantId: string, input: EndpointInput, actorKeyId: string): Promise<Endpoint> {
    await this.checkUrl(input.url);
    checkHeaders(input.headers);
    checkSchedule(input.retry_schedule_s);
    checkMetadata(input.metadata);
    const at = this.now();
    const endpoint: Endpoint = {
      id: newId("ep"),
      tenantId,
      url: input.url,
      description: input.description ?? "",
      eventTypes: dedupe(input.event_types ?? ["*"]),
      secret: input.secret === undefined ? generateSecret() : checkSecret(input.secret),
      headers: input.headers ?? {},
      timeoutMs: input.timeout_ms ?? DEFAULT_TIMEOUT_MS,
      maxInFlight: input.max_in_flight ?? DEFAULT_MAX_IN_FLIGHT,
      rateLimitPerS: input.rate_limit_per_s ?? null,
      retryScheduleS: input.retry_schedule_s ?? null,
      disabled: input.disabled ?? false,
      disabledReason: input.disabled ? "disabled by request" : null,
      metadata: input.metadata ?? {},
      createdAt: at,
      updatedAt: at,
    };
    await this.store.insertEndpoint(endpoint, endpointAudit(actorKeyId, "endpoint.created", at));
    return endpoint;
  }

  async get(tenantId: string, id: string): Promise<Endpoint> {
    const endpoint = await this.store.getEndpoint(tenantId, id);
    if (!endpoint) throw new AppError("ENDPOINT_NOT_FOUND", `endpoint ${id} not found`);
    return endpoint;
  }

  list(tenantId: string, page: PageRequest): Promise<Page<Endpoint>> {
    return this.store.listEndpoints(tenantId, page);
  }

  async update(tenantId: string, id: string, input: Partial<EndpointInput>, actorKeyId: string): Promise<Endpoint> {
    const patch: EndpointPatch = {};
    if (input.url !== undefined) {
      await this.checkUrl(input.url);
      patch.url = input.url;
    }
    if (input.headers !== undefined) {
      checkHeaders(input.headers);
      patch.headers = input.headers;
    }
    if (input.retry_schedule_s !== undefined) {
      checkSchedule(input.retry_schedule_s);
      patch.retryScheduleS = input.retry_schedule_s;
    }
    if (input.secret !== undefined) patch.secret = checkSecret(input.secret);
    if (input.description !== undefined) patch.description = input.description;
    if (input.event_types !== undefined) patch.eventTypes = dedupe(input.event_types);
    if (input.timeout_ms !== undefined) patch.timeoutMs = input.timeout_ms;
    if (input.max_in_flight !== undefined) patch.maxInFlight = input.max_in_flight;
    if (input.rate_limit_per_s !== undefined) patch.rateLimitPerS = input.rate_limit_per_s;
    if (input.metadata !== undefined) {
      checkMetadata(input.metadata);
      patch.metadata = input.metadata;
    }
    if (input.disabled !== undefined) {
      patch.disabled = input.disabled;
      patch.disabledReason = input.disabled ? "disabled by request" : null;
    }
    const at = this.now();
    const audit = endpointAudit(actorKeyId, "endpoint.updated", at);
    const endpoint = await this.store.updateEndpoint(tenantId, id, patch, at, audit);
    if (!endpoint) throw new AppError("ENDPOINT_NOT_FOUND", `endpoint ${id} not found`);
    return endpoint;
  }

  /** Health of these endpoints (breaker, failure rate, latency, in flight), for the API. */
  async health(tenantId: string, ids: string[]): Promise<Map<string, EndpointHealth>> {
    const now = this.now();
    const records = await this.store.getEndpointHealth(tenantId, ids, now);
    const out = new Map<string, EndpointHealth>();
    for (const [id, r] of records) out.set(id, endpointHealth(r.state, r.inFlight, now, this.breaker));
    return out;
  }

  /**
   * Enables a disabled endpoint and resets its breaker and history, so it starts afresh. The store records the
   * `endpoint.enabled` operational event when this flips it, like any change of `disabled`.
   */
  async enable(tenantId: string, id: string, actorKeyId: string): Promise<Endpoint> {
    const at = this.now();
    const audit = endpointAudit(actorKeyId, "endpoint.enabled", at);
    const endpoint = await this.store.updateEndpoint(tenantId, id, { disabled: false, disabledReason: null }, at, audit);
    if (!endpoint) throw new AppError("ENDPOINT_NOT_FOUND", `endpoint ${id} not found`);
    await this.store.resetEndpointState(tenantId, id, this.now());
    return endpoint;
  }

  async delete(tenantId: string, id: string, actorKeyId: string): Promise<void> {
    if (!(await this.store.deleteEndpoint(tenantId, id, endpointAudit(actorKeyId, "endpoint.deleted", this.now())))) {
      throw new AppError("ENDPOINT_NOT_FOUND", `endpoint ${id} not found`);
    }
  }

  /** Replaces the signing secret; the new one is returned once. Overlapping old and new secrets come later. */
  async rotateSecret(tenantId: string, id: string, secret: string | undefined, actorKeyId: string): Promise<string> {
    const next = secret === undefined ? generateSecret() : checkSecret(secret);
    const at = this.now();
    const audit = endpointAudit(actorKeyId, "endpoint.secret_rotated", at);
    const endpoint = await this.store.updateEndpoint(tenantId, id, { secret: next }, at, audit);
    if (!endpoint) throw new AppError("ENDPOINT_NOT_FOUND", `endpoint ${id} not found`);
    return next;
  }

  async replay(tenantId: string, id: string, status: "dead" | "failed", since: number | null): Promise<number> {
    await this.get(tenantId, id);
    return this.store.replayEndpoint(tenantId, id, status, since, this.now());
  }

  /**
   * Unparseable text is a 400; a URL hookd must not deliver to (scheme, credentials, port, plain http under
   * HOOKD_REQUIRE_HTTPS, a non-canonical IPv4 spelling, or a host that is or resolves to a refused address) is a 422
   * ENDPOINT_URL_FORBIDDEN whose message says which rule refused it.
   */
  private async checkUrl(url: string): Promise<void> {
    try {
      new URL(url);
    } catch {
      throw new AppError("INVALID_ENDPOINT_URL", "url must be an absolute http or https URL");
    }
    try {
      await checkEndpointUrl(url, this.policy);
    } catch (err) {
      if (err instanceof EgressBlockedError) {
        throw new AppError("ENDPOINT_URL_FORBIDDEN", `url refused (${err.reason}): ${err.message}`);
      }
      if (err instanceof DnsLookupError) {
        throw new AppError("ENDPOINT_URL_UNRESOLVABLE", `host ${err.host} does not resolve`);
      }
      throw err;
    }
  }
}

function checkSecret(secret: string): string {
  try {
    parseSecret(secret);
    return secret;
  } catch (err) {
    if (err instanceof SecretFormatError) throw new AppError("INVALID_SECRET", err.message);
    throw err;
  }
}

function checkHeaders(headers: Record<string, string> | undefined): void {
  for (const name of Object.keys(headers ?? {})) {
    if (RESERVED_HEADERS.has(name.toLowerCase())) {
      throw new AppError("VALIDATION_FAILED", `header ${name} is set by hookd and cannot be overridden`, [
        { path: `body/headers/${name}`, message: "reserved header" },
      ]);
    }
  }
}

function checkSchedule(schedule: number[] | null | undefined): void {
  if (schedule === undefined || schedule === null) return;
  try {
    validateRetrySchedule(schedule);
  } catch (err) {
    throw new AppError("VALIDATION_FAILED", `retry_schedule_s ${(err as Error).message}`);
  }
}

function dedupe(types: string[]): string[] {
  return [...new Set(types)];
}
