/** API keys and the audit log: who may call the API, and what every key changed. */
import type { JsonObject, Page } from "../../domain/types.ts";
import type { PageRequest } from "./common.ts";

export interface ApiKeyRecord {
  id: string;
  /** null for admin keys; a tenant id for tenant-scoped keys. */
  tenantId: string | null;
  hash: string;
  createdAt: number;
}

/** A stored key as read back: the record plus its lifecycle. A revoked key authenticates nothing. */
export interface ApiKeyInfo extends ApiKeyRecord {
  revokedAt: number | null;
  lastUsedAt: number | null;
}

export type AuditTargetType = "tenant" | "endpoint" | "api_key" | "event_type" | "portal_session";

/** One row of the audit log. `before` and `after` are redacted snapshots (never secrets or key material). */
export interface AuditEntry {
  id: string;
  tenantId: string | null;
  /** The id of the API key that made the change. */
  actorKeyId: string;
  action: string;
  targetType: AuditTargetType;
  targetId: string;
  before: JsonObject | null;
  after: JsonObject | null;
  createdAt: number;
}

/**
 * Asks a mutating store call to record the change in the audit log inside the same transaction, so a change and its
 * audit row commit (or fail) together. The store reads the row before the change itself and hands both states to
 * `snapshot`, which decides what the log keeps (and must leave out secrets).
 */
export interface AuditNote<T> {
  actorKeyId: string;
  action: string;
  at: number;
  snapshot: (row: T) => JsonObject;
}

export interface ApiKeysPort {
  countApiKeys(): Promise<number>;
  /** Inserts, or replaces the hash of the key with the same id. */
  putApiKey(key: ApiKeyRecord): Promise<void>;
  findApiKeyByHash(hash: string): Promise<ApiKeyInfo | null>;
  /** Inserts a new key (its id must be new). */
  insertApiKey(key: ApiKeyRecord, audit?: AuditNote<ApiKeyInfo>): Promise<void>;
  /** A tenant's keys, oldest first, without admin keys. */
  listApiKeys(tenantId: string, page: PageRequest): Promise<Page<ApiKeyInfo>>;
  /**
   * Marks the tenant's key revoked; revoking twice keeps the first time and writes no second audit row.
   * @returns the key after the call, or null when the tenant has no such key.
   */
  revokeApiKey(tenantId: string, id: string, now: number, audit?: AuditNote<ApiKeyInfo>): Promise<ApiKeyInfo | null>;
  /** Records that the key authenticated a request (called at most once per auth-cache period per process). */
  touchApiKey(id: string, now: number): Promise<void>;
  /** Writes one audit row on its own, for changes made outside a store call that takes an AuditNote. */
  insertAuditEntry(entry: AuditEntry): Promise<void>;
  /** The tenant's audit log, newest first, from `since` on. */
  listAuditLog(tenantId: string, since: number, page: PageRequest): Promise<Page<AuditEntry>>;
}
