/** Tenants: the unit of isolation every other row belongs to. */
import type { Task } from "../../domain/tasks.ts";
import type { QuotaOverrides } from "../../domain/quotas.ts";
import type { Page, Tenant } from "../../domain/types.ts";
import type { AuditNote } from "./api-keys.ts";
import type { PageRequest } from "./common.ts";

export type TenantPatch = Partial<Pick<Tenant, "name" | "metadata" | "oversizedEvents" | "eventRetentionDays" | "quotas">>;

/** What the quota checks read about a tenant (features/quotas), in one query. */
export interface TenantUsage {
  quotas: QuotaOverrides;
  /** Event payload bytes kept (not yet expunged), from the maintained counter. */
  storedBytes: number;
  endpoints: number;
}

export interface TenantsPort {
  /** false when the id is taken. */
  insertTenant(tenant: Tenant, audit?: AuditNote<Tenant>): Promise<boolean>;
  getTenant(id: string): Promise<Tenant | null>;
  listTenants(page: PageRequest): Promise<Page<Tenant>>;
  updateTenant(id: string, patch: TenantPatch, now: number, audit?: AuditNote<Tenant>): Promise<Tenant | null>;
  /** null when there is no such tenant. */
  getTenantUsage(id: string): Promise<TenantUsage | null>;
  /**
   * Accepts the tenant's deletion in one short transaction: the tenant is hidden from then on (get, list, update and
   * insert of the same id see it as gone or taken), its keys are deleted, its endpoints stop taking and sending
   * deliveries, its other tasks fail, and a `tenant.delete` task is queued that removes its rows in small batches and
   * the tenant row last (its audit log stays). Returns the task, or null when there is no such tenant.
   */
  deleteTenant(id: string, taskId: string, now: number, audit?: AuditNote<Tenant>): Promise<Task | null>;
}
