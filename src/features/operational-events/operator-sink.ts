/**
 * Sets up, at every start, the reserved operator tenant and its one endpoint that carry operational events to
 * HOOKD_OPERATOR_WEBHOOK_URL (see domain/operational-events.ts for why they ride the ordinary pipeline). Idempotent
 * and safe when several processes start together: the tenant and the endpoint have fixed ids, and a lost insert race
 * falls back to updating the winner's row. When the URL is unset, the endpoint is disabled, so nothing more is
 * forwarded (what was already queued dies as for any disabled endpoint, and can be replayed after re-enabling).
 */
import { OPERATOR_TENANT_ID } from "../../domain/operational-events.ts";
import type { Endpoint } from "../../domain/types.ts";
import type { SecretBox } from "../../secrets/secret-box.ts";
import { generateSecret } from "../../signing/secret.ts";
import type { EndpointPatch, Store } from "../../store/store.ts";

export const OPERATOR_ENDPOINT_ID = "ep_hookd_operator";

export interface OperatorSinkConfig {
  url: string | null;
  secret: string | null;
}

/** @returns the signing secret when one was generated here (the caller prints it once), else null. */
export async function ensureOperatorSink(
  store: Store,
  box: SecretBox,
  config: OperatorSinkConfig,
  now: number,
): Promise<string | null> {
  if (config.url === null) {
    const existing = await store.getEndpoint(OPERATOR_TENANT_ID, OPERATOR_ENDPOINT_ID);
    if (existing && !existing.disabled) {
      await store.updateEndpoint(
        OPERATOR_TENANT_ID,
        OPERATOR_ENDPOINT_ID,
        { disabled: true, disabledReason: "HOOKD_OPERATOR_WEBHOOK_URL is not set" },
        now,
      );
    }
    return null;
  }
  await store.insertTenant({
    id: OPERATOR_TENANT_ID,
    name: "hookd operator webhook",
    metadata: { reserved: true },
    oversizedEvents: "reject",
    eventRetentionDays: null,
    createdAt: now,
    updatedAt: now,
  });
  const existing = await store.getEndpoint(OPERATOR_TENANT_ID, OPERATOR_ENDPOINT_ID);
  if (!existing) {
    const secret = config.secret ?? generateSecret();
    const endpoint: Endpoint = {
      id: OPERATOR_ENDPOINT_ID,
      tenantId: OPERATOR_TENANT_ID,
      type: "http",
      url: config.url,
      description: "Operational events (HOOKD_OPERATOR_WEBHOOK_URL)",
      eventTypes: ["*"],
      filterJson: null,
      payloadMode: "full",
      ordering: "none",
      fifoOnDead: "continue",
      signatureScheme: "hmac_sha256",
      // Stored encrypted like every endpoint secret (see secrets/secret-box.ts).
      sealedSecret: box.seal(secret, OPERATOR_ENDPOINT_ID),
      previousSealedSecret: null,
      previousSecretExpiresAt: null,
      publicKey: null,
      headers: {},
      oauth2: null,
      mtls: null,
      timeoutMs: 15_000,
      maxInFlight: 16,
      rateLimitPerS: null,
      retryScheduleS: null,
      disabled: false,
      disabledReason: null,
      metadata: {},
      createdAt: now,
      updatedAt: now,
    };
    try {
      await store.insertEndpoint(endpoint);
      return config.secret === null ? secret : null;
    } catch (err) {
      // Another process inserted it first; update that row below.
      if (!(await store.getEndpoint(OPERATOR_TENANT_ID, OPERATOR_ENDPOINT_ID))) throw err;
    }
  }
  const current = await store.getEndpoint(OPERATOR_TENANT_ID, OPERATOR_ENDPOINT_ID);
  const currentSecret = current ? box.open(current.sealedSecret, OPERATOR_ENDPOINT_ID) : null;
  const secret = config.secret ?? currentSecret ?? generateSecret();
  if (current && current.url === config.url && currentSecret === secret && !current.disabled) return null;
  const patch: EndpointPatch = { url: config.url, disabled: false, disabledReason: null };
  if (secret !== currentSecret) {
    patch.sealedSecret = box.seal(secret, OPERATOR_ENDPOINT_ID);
    patch.previousSealedSecret = null;
    patch.previousSecretExpiresAt = null;
  }
  await store.updateEndpoint(OPERATOR_TENANT_ID, OPERATOR_ENDPOINT_ID, patch, now);
  return null;
}
