/** Tenants: the unit of isolation every other row belongs to. */
import type { QuotaOverrides } from "../../domain/quotas.ts";
import type { Page, Tenant } from "../../domain/types.ts";
import type { AuditNote } from "./api-keys.ts";
import type { PageRequest } from "./common.ts";

export type TenantPatch = Partial<Pick<Tenant, "name" | "metadata" | "oversizedEvents" | "quotas">>;

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
  /** Deletes the tenant and everything it owns (its audit log stays). */
  deleteTenant(id: string, audit?: AuditNote<Tenant>): Promise<boolean>;
}
