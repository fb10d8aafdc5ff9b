/**
 * Tenants: the unit of isolation. Everything else (endpoints, events, deliveries, keys) belongs to exactly one.
 */
import { newId } from "../../domain/ids.ts";
import { RESERVED_TENANT_PREFIX } from "../../domain/operational-events.ts";
import { mergeQuotaOverrides, QUOTA_NAMES, type QuotaName, type Quotas } from "../../domain/quotas.ts";
import type { JsonObject, OversizedEvents, Page, Tenant } from "../../domain/types.ts";
import { AppError } from "../../errors/app-error.ts";
import { checkMetadata } from "../../http/common-schemas.ts";
import type { PageRequest, Store, TenantPatch } from "../../store/store.ts";
import { tenantAudit } from "../audit/notes.ts";
import type { QuotaService } from "../quotas/service.ts";

/** The fields a PATCH may change, as the API names them. */
export interface TenantInput {
  name?: string | undefined;
  metadata?: JsonObject | undefined;
  oversized_events?: OversizedEvents | undefined;
  /** Admin only (the route checks): the tenant's own event retention; null goes back to the setting. */
  event_retention_days?: number | null | undefined;
  /** Overrides of the quota defaults; the routes let only an admin key set them. */
  quotas?: QuotaPatch | undefined;
}

export type QuotaPatch = Partial<Record<QuotaName, number | null>>;

/** With no quota service (tests, the OpenAPI document) every quota is off. */
const NO_QUOTAS: Quotas = Object.fromEntries(QUOTA_NAMES.map((n) => [n, 0])) as Quotas;

export class TenantService {
  constructor(
    private readonly store: Store,
    private readonly now: () => number = Date.now,
    /** Tells this process's task runner a task is waiting (a deletion's), so it starts now. */
    private readonly wakeTasks: () => void = () => undefined,
    /** Per-tenant quotas: their defaults, and the cache to clear when a tenant's overrides change. */
    private readonly quotas?: QuotaService,
  ) {}

  /** The HOOKD_QUOTA_* defaults, for showing a tenant's quotas in effect. */
  get quotaDefaults(): Readonly<Quotas> {
    return this.quotas?.defaults ?? NO_QUOTAS;
  }

  /** `actorKeyId` (and the same argument below) is the API key making the change, for the audit log. */
  async create(
    input: TenantInput & { id?: string | undefined; name: string },
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
      eventRetentionDays: input.event_retention_days ?? null,
      quotas: mergeQuotaOverrides({}, input.quotas ?? {}),
      createdAt: at,
      updatedAt: at,
    };
    if (!(await this.store.insertTenant(tenant, tenantAudit(actorKeyId, "tenant.created", at)))) {
      // A tenant being deleted keeps its id until its last row is gone, so nothing of it mixes with a new one's.
      throw new AppError("TENANT_ALREADY_EXISTS", `tenant ${tenant.id} already exists (or is still being deleted)`);
    }
    this.quotas?.forget(tenant.id);
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
    if (input.event_retention_days !== undefined) patch.eventRetentionDays = input.event_retention_days;
    if (input.quotas !== undefined) {
      // Merged with the overrides read here: two admins patching different quotas at once may lose one of them,
      // which is acceptable for a rare operator action (the audit log shows both).
      patch.quotas = mergeQuotaOverrides((await this.get(id)).quotas, input.quotas);
    }
    const at = this.now();
    const tenant = await this.store.updateTenant(id, patch, at, tenantAudit(actorKeyId, "tenant.updated", at));
    if (!tenant) throw new AppError("TENANT_NOT_FOUND", `tenant ${id} not found`);
    this.quotas?.forget(id);
    return tenant;
  }

  /**
   * The tenant is gone from the API and its keys stop working when this returns; a `tenant.delete` task removes its
   * rows in small batches afterwards, and the tenant row last, so its id stays taken until nothing of it is left.
   */
  async delete(id: string, actorKeyId: string): Promise<void> {
    const at = this.now();
    const task = await this.store.deleteTenant(id, newId("task"), at, tenantAudit(actorKeyId, "tenant.deleted", at));
    if (!task) throw new AppError("TENANT_NOT_FOUND", `tenant ${id} not found`);
    this.wakeTasks();
    this.quotas?.forget(id);
    // Its keys went with it; every process's key cache must forget them now, not when their entries expire.
    await this.store.announceKeyChange(`tenant:${id}`);
  }
}
