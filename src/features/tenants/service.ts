/**
 * Tenants: the unit of isolation. Everything else (endpoints, events, deliveries, keys) belongs to exactly one.
 */
import { newId } from "../../domain/ids.ts";
import { RESERVED_TENANT_PREFIX } from "../../domain/operational-events.ts";
import type { JsonObject, OversizedEvents, Page, Tenant } from "../../domain/types.ts";
import { AppError } from "../../errors/app-error.ts";
import { checkMetadata } from "../../http/common-schemas.ts";
import type { PageRequest, Store, TenantPatch } from "../../store/store.ts";
import { tenantAudit } from "../audit/notes.ts";

/** The fields a PATCH may change, as the API names them. */
export interface TenantInput {
  name?: string | undefined;
  metadata?: JsonObject | undefined;
  oversized_events?: OversizedEvents | undefined;
}

export class TenantService {
  constructor(
    private readonly store: Store,
    private readonly now: () => number = Date.now,
  ) {}

  /** `actorKeyId` (and the same argument below) is the API key making the change, for the audit log. */
  async create(
    input: { id?: string | undefined; name: string; metadata?: JsonObject | undefined; oversized_events?: OversizedEvents | undefined },
    actorKeyId: string,
  ): Promise<Tenant> {
    checkMetadata(input.metadata);
    if (input.id?.startsWith(RESERVED_TENANT_PREFIX)) {
      throw new AppError("TENANT_ID_RESERVED", `tenant ids starting with ${RESERVED_TENANT_PREFIX} are reserved`);
    }
    const at = this.now();
    const tenant: Tenant = {
      id: input.id ?? newId("ten"),
      name: input.name,
      metadata: input.metadata ?? {},
      oversizedEvents: input.oversized_events ?? "reject",
      createdAt: at,
      updatedAt: at,
    };
    if (!(await this.store.insertTenant(tenant, tenantAudit(actorKeyId, "tenant.created", at)))) {
      throw new AppError("TENANT_ALREADY_EXISTS", `tenant ${tenant.id} already exists`);
    }
    // A key of an earlier tenant with this id may still sit in some process's key cache: drop it everywhere.
    await this.store.announceKeyChange(`tenant:${tenant.id}`);
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

  async update(id: string, input: TenantInput, actorKeyId: string): Promise<Tenant> {
    checkMetadata(input.metadata);
    const patch: TenantPatch = {};
    if (input.name !== undefined) patch.name = input.name;
    if (input.metadata !== undefined) patch.metadata = input.metadata;
    if (input.oversized_events !== undefined) patch.oversizedEvents = input.oversized_events;
    const at = this.now();
    const tenant = await this.store.updateTenant(id, patch, at, tenantAudit(actorKeyId, "tenant.updated", at));
    if (!tenant) throw new AppError("TENANT_NOT_FOUND", `tenant ${id} not found`);
    return tenant;
  }

  async delete(id: string, actorKeyId: string): Promise<void> {
    const audit = tenantAudit(actorKeyId, "tenant.deleted", this.now());
    if (!(await this.store.deleteTenant(id, audit))) throw new AppError("TENANT_NOT_FOUND", `tenant ${id} not found`);
    // Its keys went with it; every process's key cache must forget them now, not when their entries expire.
    await this.store.announceKeyChange(`tenant:${id}`);
  }
}
