/** Endpoints: where a tenant's deliveries go, with their secrets, limits and shared isolation state. */
import type { Task } from "../../domain/tasks.ts";
import type { EndpointState } from "../../domain/endpoint-state.ts";
import type { Endpoint, Page } from "../../domain/types.ts";
import type { AuditNote } from "./api-keys.ts";
import type { PageRequest } from "./common.ts";

export type EndpointPatch = Partial<
  Pick<
    Endpoint,
    | "url"
    | "description"
    | "eventTypes"
    | "filterJson"
    | "payloadMode"
    | "ordering"
    | "fifoOnDead"
    | "headers"
    | "oauth2"
    | "mtls"
    | "timeoutMs"
    | "retryScheduleS"
    | "disabled"
    | "disabledReason"
    | "metadata"
    | "sealedSecret"
    | "previousSealedSecret"
    | "previousSecretExpiresAt"
    | "publicKey"
    | "maxInFlight"
    | "rateLimitPerS"
  >
>;

/** A new signing secret for an endpoint; the current one becomes the previous one while `previousExpiresAt` lasts. */
export interface SecretRotation {
  sealedSecret: string;
  publicKey: string | null;
  /** Until when the replaced secret keeps signing; null drops it at once. */
  previousExpiresAt: number | null;
}

/** The stored (sealed) secrets of one endpoint, for re-encrypting them under another master key. */
export interface StoredEndpointSecrets {
  id: string;
  sealedSecret: string;
  previousSealedSecret: string | null;
  previousSecretExpiresAt: number | null;
}

/** Replaces an endpoint's stored secrets, but only while they still equal `expected` (compare and set). */
export interface EndpointSecretsChange {
  expected: StoredEndpointSecrets;
  sealedSecret: string;
  previousSealedSecret: string | null;
  previousSecretExpiresAt: number | null;
}

export interface EndpointHealthRecord {
  /** As its owner last wrote it back (at most a second or so behind while a worker sends to it). */
  state: EndpointState;
  /** Requests open to the endpoint when its state was last written. */
  inFlight: number;
}

export interface EndpointsPort {
  /**
   * The endpoint with its scheduler row and isolation state, in one transaction. With `maxEndpoints` (a quota, 0: no
   * limit) the tenant's endpoints are counted in that transaction, serialised per tenant, and false is answered and
   * nothing written when it has that many already.
   */
  insertEndpoint(endpoint: Endpoint, audit?: AuditNote<Endpoint>, maxEndpoints?: number): Promise<boolean>;
  getEndpoint(tenantId: string, id: string): Promise<Endpoint | null>;
  listEndpoints(tenantId: string, page: PageRequest): Promise<Page<Endpoint>>;
  /**
   * When the patch flips `disabled`, the same transaction records `endpoint.disabled` or `endpoint.enabled` (with
   * `disabledReason` as the reason), so every way of switching an endpoint is on the operational record. Disabling
   * pauses the endpoint's queue (nothing is sent, nothing is lost); enabling makes it due again.
   */
  updateEndpoint(
    tenantId: string,
    id: string,
    patch: EndpointPatch,
    now: number,
    audit?: AuditNote<Endpoint>,
  ): Promise<Endpoint | null>;
  /**
   * Deletes the endpoint in one short transaction: its row with its scheduler, stream and state rows (so it is gone
   * from the API and from ingest at once, and its owner loses it), fails a recover of it that is still running, and
   * queues an `endpoint.delete` task that removes its deliveries, attempts, jobs and dead letters in small batches.
   * Returns the task, or null when there is no such endpoint.
   */
  deleteEndpoint(tenantId: string, id: string, taskId: string, now: number, audit?: AuditNote<Endpoint>): Promise<Task | null>;
  /**
   * In one transaction: the current secret becomes the previous one (or is dropped when `previousExpiresAt` is
   * null) and the new one takes its place. Returns the endpoint as it is now, or null when it does not exist.
   */
  rotateEndpointSecret(
    tenantId: string,
    id: string,
    rotation: SecretRotation,
    now: number,
    audit?: AuditNote<Endpoint>,
  ): Promise<Endpoint | null>;
  /** Every endpoint's stored secrets (all tenants), in id order after `after`, at most `limit`. */
  listEndpointSecrets(after: string | null, limit: number): Promise<StoredEndpointSecrets[]>;
  /**
   * Applies the changes in one transaction, each only where the row still holds its `expected` secrets (a rotation
   * through the API meanwhile wins); returns how many were applied.
   */
  replaceEndpointSecrets(changes: EndpointSecretsChange[]): Promise<number>;
  /** State and in-flight count of these endpoints of the tenant (missing ids are left out). */
  getEndpointHealth(tenantId: string, endpointIds: string[], now: number): Promise<Map<string, EndpointHealthRecord>>;
  /** Back to a closed breaker with no history (enable). false when the endpoint does not exist. */
  resetEndpointState(tenantId: string, endpointId: string, now: number): Promise<boolean>;
}
