import { iso } from "../../http/common-schemas.ts";
import type { AuditEntry } from "../../store/store.ts";

export function auditEntryToApi(e: AuditEntry) {
  return {
    id: e.id,
    tenant_id: e.tenantId,
    actor_key_id: e.actorKeyId,
    action: e.action,
    target_type: e.targetType,
    target_id: e.targetId,
    before: e.before,
    after: e.after,
    created_at: iso(e.createdAt),
  };
}
