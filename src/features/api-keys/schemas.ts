import { Type } from "typebox";
import { CALLER_ID_PATTERN } from "../../domain/ids.ts";
import { EmptyBody, iso } from "../../http/common-schemas.ts";

/** Creating a key takes no input today; the body stays strict so a field sent by mistake is refused. */
export const CreateApiKeyBody = EmptyBody;
import type { ApiKeyInfo } from "../../store/store.ts";

export const ApiKeyParams = Type.Object({
  tenant_id: Type.String({ pattern: CALLER_ID_PATTERN }),
  key_id: Type.String({ pattern: CALLER_ID_PATTERN }),
});


/** Never includes the hash or the key itself. */
export function apiKeyToApi(k: ApiKeyInfo) {
  return {
    id: k.id,
    tenant_id: k.tenantId,
    created_at: iso(k.createdAt),
    revoked_at: iso(k.revokedAt),
    last_used_at: iso(k.lastUsedAt),
  };
}
