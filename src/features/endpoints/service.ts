/**
 * Endpoints: where a tenant's events go. The URL is checked against the egress policy when it is registered or
 * changed (and again at every connect, in outbound/), the secret is validated or generated, and custom headers may
 * never shadow the protocol headers hookd signs. Custom header values are sealed like secrets before they reach
 * the store (secrets/endpoint-headers.ts). OAuth2 client credentials and TLS client certificates are checked and
 * sealed in auth.ts.
 */
import { isReservedHeader } from "../../domain/endpoint-headers.ts";
import { validateRetrySchedule } from "../../delivery/retry-schedule.ts";
import { newId } from "../../domain/ids.ts";
import type { Task } from "../../domain/tasks.ts";
import type { Endpoint, FifoOnDead, JsonObject, OrderingMode, Page, PayloadMode, SignatureScheme } from "../../domain/types.ts";
import { type BreakerSettings, DEFAULT_BREAKER } from "../../isolation/breaker.ts";
import { type EndpointHealth, endpointHealth } from "../../isolation/health.ts";
import { AppError } from "../../errors/app-error.ts";
import { checkMetadata } from "../../http/common-schemas.ts";
import { checkEndpointUrl, type EgressPolicy } from "../../outbound/egress-policy.ts";
import { DnsLookupError, EgressBlockedError } from "../../outbound/target-check.ts";
import type { SecretBox } from "../../secrets/secret-box.ts";
import { ed25519PublicKey, generateEd25519Secret, parseEd25519Secret } from "../../signing/ed25519.ts";
import { generateSecret, parseSecret, SecretFormatError } from "../../signing/secret.ts";
import type { EndpointPatch, PageRequest, Store } from "../../store/store.ts";
import type { QuotaService } from "../quotas/service.ts";
import { type AuditAction, endpointAudit } from "../audit/notes.ts";
import { HEADER_MASK, maskHeaderValues, openHeaderValues, sealHeaderValues } from "../../secrets/endpoint-headers.ts";
import { type AuthContext, type MtlsInput, mtlsToStored, type OAuth2Input, oauth2ToStored, requireHttpsForMtls } from "./auth.ts";
import { type FilterTestInput, type FilterTestResult, filterToStore, testFilter } from "./filter.ts";
import type { HaltedKey, HaltRelease } from "../../store/ports/ordering.ts";

export const DEFAULT_TIMEOUT_MS = 15_000;
/** How long a rotated-out secret keeps signing unless the caller says otherwise, and the longest allowed. */
export const DEFAULT_SECRET_OVERLAP_S = 86_400;
export const MAX_SECRET_OVERLAP_S = 604_800;
/** Deliveries in flight at once per endpoint, across all workers, unless the endpoint says otherwise. */
export const DEFAULT_MAX_IN_FLIGHT = 16;

export interface EndpointInput {
  url: string;
  signature_scheme?: SignatureScheme | undefined;
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
  filter?: JsonObject | null | undefined;
  payload_mode?: PayloadMode | undefined;
  oauth2?: OAuth2Input | null | undefined;
  mtls?: MtlsInput | null | undefined;
  ordering?: OrderingMode | undefined;
  fifo_on_dead?: FifoOnDead | undefined;
}

/** An endpoint with the plaintext of the secret it was just given: the only moment the API shows it. */
export interface EndpointWithSecret {
  endpoint: Endpoint;
  secret: string;
}

export interface RotateSecretInput {
  secret?: string | undefined;
  expire_old_after_s?: number | undefined;
}

export class EndpointService {
  constructor(
    private readonly store: Store,
    private readonly policy: EgressPolicy,
    /** Encrypts secrets before they reach the store; the service never stores or returns them otherwise. */
    private readonly secrets: SecretBox,
    private readonly now: () => number = Date.now,
    private readonly breaker: BreakerSettings = DEFAULT_BREAKER,
    /** Tells this process's task runner a task is waiting (a deletion's), so it starts now. */
    private readonly wakeTasks: () => void = () => undefined,
    /** The endpoint quota per tenant (features/quotas); absent: no limit. */
    private readonly quotas?: QuotaService,
  ) {}

  /** `actorKeyId` (here and below) is the API key making the change, for the audit log. */
  async create(tenantId: string, input: EndpointInput, actorKeyId: string): Promise<EndpointWithSecret> {
    await this.checkUrl(input.url);
    checkHeaders(input.headers);
    const masked = Object.keys(input.headers ?? {}).find((name) => input.headers?.[name] === HEADER_MASK);
    if (masked !== undefined) {
      throw new AppError("VALIDATION_FAILED", `header ${masked} has the masked value ${HEADER_MASK}: send its real value`, [
        { path: `body/headers/${masked}`, message: "masked value" },
      ]);
    }
    checkSchedule(input.retry_schedule_s);
    checkMetadata(input.metadata);
    const filterJson = filterToStore(input.filter);
    const at = this.now();
    const id = newId("ep");
    const scheme = input.signature_scheme ?? "hmac_sha256";
    const secret = secretFor(scheme, input.secret);
    const auth = this.authContext(id);
    const oauth2 = await oauth2ToStored(input.oauth2 ?? null, null, auth);
    const mtls = mtlsToStored(input.mtls ?? null, null, auth);
    requireHttpsForMtls(input.url, mtls);
    const endpoint: Endpoint = {
      id,
      tenantId,
      type: "http",
      url: input.url,
      description: input.description ?? "",
      eventTypes: dedupe(input.event_types ?? ["*"]),
      filterJson,
      payloadMode: input.payload_mode ?? "full",
      ordering: input.ordering ?? "none",
      fifoOnDead: input.fifo_on_dead ?? "continue",
      signatureScheme: scheme,
      sealedSecret: this.secrets.seal(secret, id),
      previousSealedSecret: null,
      previousSecretExpiresAt: null,
      publicKey: publicKeyFor(scheme, secret),
      headers: sealHeaderValues(this.secrets, id, input.headers ?? {}),
      oauth2,
      mtls,
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
    const maxEndpoints = this.quotas ? await this.quotas.maxEndpoints(tenantId) : 0;
    const inserted = await this.store.insertEndpoint(endpoint, endpointAudit(actorKeyId, "endpoint.created", at), maxEndpoints);
    if (!inserted && this.quotas) throw this.quotas.endpointLimitReached(tenantId, maxEndpoints);
    return { endpoint, secret };
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
      // A relay endpoint's URL is hookd's own relay route, which skips the egress guard: never a tenant's choice.
      if ((await this.get(tenantId, id)).type === "relay") {
        throw new AppError("RELAY_URL_FIXED", `endpoint ${id} is a relay endpoint (hookd listen); its URL is hookd's own and cannot be changed`);
      }
      await this.checkUrl(input.url);
      patch.url = input.url;
    }
    if (input.headers !== undefined) {
      checkHeaders(input.headers);
      patch.headers = await this.nextHeaders(tenantId, id, input.headers);
    }
    if (input.retry_schedule_s !== undefined) {
      checkSchedule(input.retry_schedule_s);
      patch.retryScheduleS = input.retry_schedule_s;
    }
    if (input.oauth2 !== undefined || input.mtls !== undefined || input.url !== undefined) {
      const current = await this.get(tenantId, id);
      const auth = this.authContext(id);
      if (input.oauth2 !== undefined) patch.oauth2 = await oauth2ToStored(input.oauth2, current.oauth2, auth);
      if (input.mtls !== undefined) patch.mtls = mtlsToStored(input.mtls, current.mtls, auth);
      requireHttpsForMtls(patch.url ?? current.url, patch.mtls === undefined ? current.mtls : patch.mtls);
    }
    if (input.secret !== undefined) {
      // Setting the secret directly replaces it at once, without an overlap (rotate-secret is the gentle way).
      const { signatureScheme } = await this.get(tenantId, id);
      const secret = secretFor(signatureScheme, input.secret);
      patch.sealedSecret = this.secrets.seal(secret, id);
      patch.previousSealedSecret = null;
      patch.previousSecretExpiresAt = null;
      patch.publicKey = publicKeyFor(signatureScheme, secret);
    }
    if (input.description !== undefined) patch.description = input.description;
    if (input.event_types !== undefined) patch.eventTypes = dedupe(input.event_types);
    if (input.filter !== undefined) patch.filterJson = filterToStore(input.filter);
    if (input.payload_mode !== undefined) patch.payloadMode = input.payload_mode;
    if (input.ordering !== undefined) patch.ordering = input.ordering;
    if (input.fifo_on_dead !== undefined) patch.fifoOnDead = input.fifo_on_dead;
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

  /**
   * The sealed headers a PATCH stores. A value equal to the mask that reads show (`[redacted]`) keeps the header's
   * stored value, so a client may send back what it read with one header changed; a masked value for a header the
   * endpoint does not have is refused.
   */
  private async nextHeaders(tenantId: string, id: string, headers: Record<string, string>): Promise<Record<string, string>> {
    const masked = Object.entries(headers).filter(([, value]) => value === HEADER_MASK);
    const current = masked.length > 0 ? (await this.get(tenantId, id)).headers : {};
    const stored = new Map(Object.entries(current).map(([name, value]) => [name.toLowerCase(), value]));
    const next: Record<string, string> = {};
    for (const [name, value] of Object.entries(headers)) {
      if (value !== HEADER_MASK) {
        next[name] = this.secrets.sealHeader(value, id, name);
        continue;
      }
      const kept = stored.get(name.toLowerCase());
      if (kept === undefined) {
        throw new AppError("VALIDATION_FAILED", `header ${name} has the masked value ${HEADER_MASK} but no stored value to keep`, [
          { path: `body/headers/${name}`, message: "send the header's value, or leave the header out" },
        ]);
      }
      next[name] = kept;
    }
    return next;
  }

  /**
   * The endpoint's custom headers in the clear, for a caller that asks for them (`GET .../headers`); every reveal
   * is in the audit log as `endpoint.headers_revealed` (with the names, never the values).
   */
  async revealHeaders(tenantId: string, id: string, actorKeyId: string): Promise<Record<string, string>> {
    const endpoint = await this.get(tenantId, id);
    const headers = openHeaderValues(this.secrets, id, endpoint.headers);
    await this.store.insertAuditEntry({
      id: newId("aud"),
      tenantId,
      actorKeyId,
      action: "endpoint.headers_revealed" satisfies AuditAction,
      targetType: "endpoint",
      targetId: id,
      before: null,
      after: { headers: maskHeaderValues(headers) },
      createdAt: this.now(),
    });
    return headers;
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

  /**
   * The endpoint is gone from the API, ingest and delivery when this returns; an `endpoint.delete` task (listed with
   * the tenant's tasks) removes its deliveries, attempts, jobs and dead letters in small batches afterwards.
   */
  async delete(tenantId: string, id: string, actorKeyId: string): Promise<Task> {
    const at = this.now();
    const task = await this.store.deleteEndpoint(tenantId, id, newId("task"), at, endpointAudit(actorKeyId, "endpoint.deleted", at));
    if (!task) throw new AppError("ENDPOINT_NOT_FOUND", `endpoint ${id} not found`);
    this.wakeTasks();
    return task;
  }

  /**
   * Gives the endpoint a new signing secret (the caller's or a generated one), returned once. The old secret keeps
   * signing beside the new one for `expire_old_after_s` (default 24 h, 0 drops it at once), so receivers can switch
   * without losing a request; only the secret before this rotation is kept, so rotating again within the overlap ends
   * the older one at once. Audited as `endpoint.secret_rotated` in the same transaction.
   */
  async rotateSecret(
    tenantId: string,
    id: string,
    input: RotateSecretInput,
    actorKeyId: string,
  ): Promise<EndpointWithSecret> {
    const { signatureScheme } = await this.get(tenantId, id);
    const secret = secretFor(signatureScheme, input.secret);
    const overlapS = input.expire_old_after_s ?? DEFAULT_SECRET_OVERLAP_S;
    const at = this.now();
    const endpoint = await this.store.rotateEndpointSecret(
      tenantId,
      id,
      {
        sealedSecret: this.secrets.seal(secret, id),
        publicKey: publicKeyFor(signatureScheme, secret),
        previousExpiresAt: overlapS > 0 ? at + overlapS * 1000 : null,
      },
      at,
      endpointAudit(actorKeyId, "endpoint.secret_rotated", at),
    );
    if (!endpoint) throw new AppError("ENDPOINT_NOT_FOUND", `endpoint ${id} not found`);
    return { endpoint, secret };
  }

  /** Whether a sample event would be delivered to the endpoint, and which filter clause failed if not. */
  async filterTest(tenantId: string, id: string, input: FilterTestInput): Promise<FilterTestResult> {
    return testFilter(await this.get(tenantId, id), input);
  }

  /** FIFO keys halted by a dead delivery (fifo_on_dead = halt). */
  async haltedKeys(tenantId: string, id: string): Promise<HaltedKey[]> {
    await this.get(tenantId, id);
    return this.store.listHaltedKeys(tenantId, id);
  }

  /** Lets a halted key's line go on: skip its dead delivery, or replay it first. */
  async releaseHaltedKey(tenantId: string, id: string, orderingKey: string, action: HaltRelease): Promise<void> {
    await this.get(tenantId, id);
    const r = await this.store.releaseHaltedKey(tenantId, id, orderingKey, action, this.now());
    if (r === "not_halted") throw new AppError("HALTED_KEY_NOT_FOUND", `ordering key ${JSON.stringify(orderingKey)} is not halted on endpoint ${id}`);
  }

  async replay(tenantId: string, id: string, status: "dead" | "failed", since: number | null): Promise<number> {
    await this.get(tenantId, id);
    return this.store.replayEndpoint(tenantId, id, status, since, this.now());
  }

  private authContext(endpointId: string): AuthContext {
    return { endpointId, box: this.secrets, policy: this.policy };
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
        throw new AppError("ENDPOINT_URL_FORBIDDEN", `url refused (${err.reason}): ${err.message}${allowHint(err)}`);
      }
      if (err instanceof DnsLookupError) {
        throw new AppError("ENDPOINT_URL_UNRESOLVABLE", `host ${err.host} does not resolve`);
      }
      throw err;
    }
  }
}

/** The caller's secret, checked against the endpoint's scheme, or a fresh one. */
function secretFor(scheme: SignatureScheme, secret: string | undefined): string {
  if (secret === undefined) return scheme === "ed25519" ? generateEd25519Secret() : generateSecret();
  try {
    if (scheme === "ed25519") parseEd25519Secret(secret);
    else parseSecret(secret);
    return secret;
  } catch (err) {
    if (err instanceof SecretFormatError) throw new AppError("INVALID_SECRET", err.message);
    throw err;
  }
}

function publicKeyFor(scheme: SignatureScheme, secret: string): string | null {
  return scheme === "ed25519" ? ed25519PublicKey(secret) : null;
}

function checkHeaders(headers: Record<string, string> | undefined): void {
  for (const name of Object.keys(headers ?? {})) {
    if (isReservedHeader(name)) {
      throw new AppError("VALIDATION_FAILED", `header ${name} is reserved: hookd sets it, or it governs the connection`, [
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

/**
 * A refused address that an operator may allow on purpose (loopback, private ranges) names the setting that does
 * it, since that is what a developer trying hookd on one machine needs to hear; unsafe forms (credentials, ports,
 * schemes) get no such hint.
 */
function allowHint(err: EgressBlockedError): string {
  if (err.address === undefined || !["loopback", "private", "link_local", "cgnat", "unspecified"].includes(err.reason)) {
    return "";
  }
  const example = err.reason === "loopback" ? "127.0.0.0/8" : err.address.includes(":") ? `${err.address}/128` : `${err.address}/32`;
  return `; hookd refuses such addresses unless the operator allows them with HOOKD_ALLOWED_NETWORKS (for example HOOKD_ALLOWED_NETWORKS=${example})`;
}
