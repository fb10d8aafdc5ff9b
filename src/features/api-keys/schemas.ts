import { Type } from "typebox";
import { CALLER_ID_PATTERN } from "../../domain/ids.ts";
import { iso } from "../../http/common-schemas.ts";
import type { ApiKeyInfo } from "../../store/store.ts";

export const ApiKeyParams = Type.Object({
  tenant_id: Type.String({ pattern: CALLER_ID_PATTERN }),
  key_id: Type.String({ pattern: CALLER_ID_PATTERN }),
});

/** Creating a key takes no input today; the empty object keeps the body strict (unknown fields are refused). */
export const CreateApiKeyBody = Type.Object({}, { additionalProperties: false });

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
