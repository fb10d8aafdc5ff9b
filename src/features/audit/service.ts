/**
 * Reading the audit log, and writing one entry on its own for a change that could not go through a store call
 * taking an AuditNote (prefer the note: it commits with the change).
 */
import { newId } from "../../domain/ids.ts";
import type { JsonObject, Page } from "../../domain/types.ts";
import type { AuditEntry, AuditTargetType, PageRequest, Store } from "../../store/store.ts";
import type { TenantService } from "../tenants/service.ts";
import type { AuditAction } from "./notes.ts";

export class AuditService {
  constructor(
    private readonly store: Store,
    private readonly tenants: TenantService,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Entries from the tenant's creation on: a tenant created with the id of a deleted one must not read the log of
   * its predecessor (the log outlives tenants on purpose).
   */
  async list(tenantId: string, page: PageRequest): Promise<Page<AuditEntry>> {
    const tenant = await this.tenants.get(tenantId);
    return this.store.listAuditLog(tenantId, tenant.createdAt, page);
  }

  /** Writes one entry now. `before` and `after` must already be redacted snapshots (see snapshots.ts). */
  async record(entry: {
    actorKeyId: string;
    action: AuditAction;
    tenantId: string | null;
    targetType: AuditTargetType;
    targetId: string;
    before: JsonObject | null;
    after: JsonObject | null;
  }): Promise<void> {
    await this.store.insertAuditEntry({ id: newId("aud"), createdAt: this.now(), ...entry });
  }
}
