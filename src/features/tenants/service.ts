/**
 * Tenants: the unit of isolation. Everything else (endpoints, events, deliveries, keys) belongs to exactly one.
 */
import { newId } from "../../domain/ids.ts";
import { RESERVED_TENANT_PREFIX } from "../../domain/operational-events.ts";
import type { JsonObject, Page, Tenant } from "../../domain/types.ts";
import { AppError } from "../../errors/app-error.ts";
import { checkMetadata } from "../../http/common-schemas.ts";
import type { PageRequest, Store, TenantPatch } from "../../store/store.ts";

export class TenantService {
  constructor(
    private readonly store: Store,
    private readonly now: () => number = Date.now,
  ) {}

  async create(input: { id?: string | undefined; name: string; metadata?: JsonObject | undefined }): Promise<Tenant> {
    checkMetadata(input.metadata);
    if (input.id?.startsWith(RESERVED_TENANT_PREFIX)) {
      throw new AppError("TENANT_ID_RESERVED", `tenant ids starting with ${RESERVED_TENANT_PREFIX} are reserved`);
    }
    const at = this.now();
    const tenant: Tenant = {
      id: input.id ?? newId("ten"),
      name: input.name,
      metadata: input.metadata ?? {},
      createdAt: at,
      updatedAt: at,
    };
    if (!(await this.store.insertTenant(tenant))) {
      throw new AppError("TENANT_ALREADY_EXISTS", `tenant ${tenant.id} already exists`);
    }
    return tenant;
  }

  async get(id: string): Promise<Tenant> {
    const tenant = await this.store.getTenant(id);
    if (!tenant) throw new AppError("TENANT_NOT_FOUND", `tenant ${id} not found`);
    return tenant;
  }

  /** Throws TENANT_NOT_FOUND unless the tenant exists; nested resources call this first. */
  async assertExists(id: string): Promise<void> {
    await this.get(id);
  }

  list(page: PageRequest): Promise<Page<Tenant>> {
    return this.store.listTenants(page);
  }

  async update(id: string, patch: TenantPatch): Promise<Tenant> {
    checkMetadata(patch.metadata);
    const tenant = await this.store.updateTenant(id, patch, this.now());
    if (!tenant) throw new AppError("TENANT_NOT_FOUND", `tenant ${id} not found`);
    return tenant;
  }

  async delete(id: string): Promise<void> {
    if (!(await this.store.deleteTenant(id))) throw new AppError("TENANT_NOT_FOUND", `tenant ${id} not found`);
  }
}
