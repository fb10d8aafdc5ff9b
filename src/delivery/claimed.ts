/**
 * One delivery as the attempt steps see it (prepare, sign, send, classify, next state): the work item joined with
 * what its owner knows about the endpoint right now, including the timeout this attempt uses.
 */
import type { EndpointMtls, EndpointOAuth2 } from "../domain/endpoint-auth.ts";
import type { EndpointType, PayloadMode, SignatureScheme } from "../domain/types.ts";

export interface ClaimedDelivery {
  id: string;
  tenantId: string;
  eventId: string;
  endpointId: string;
  /** The per-endpoint stream number (webhook-sequence): the same on every attempt and replay. */
  seq: number;
  /** Attempts made so far. */
  attempts: number;
  /** Attempts since the last replay: the retry schedule's position. */
  cycleAttempts: number;
  event: { type: string; dataJson: string; createdAt: number };
  endpoint: {
    /** relay: `url` is hookd's own relay route (features/relay/); absent in older callers means http. */
    type?: EndpointType;
    url: string;
    signatureScheme: SignatureScheme;
    /** Sealed; opened by the signer (secrets/secret-box.ts). */
    sealedSecret: string;
    previousSealedSecret: string | null;
    previousSecretExpiresAt: number | null;
    headers: Record<string, string>;
    /** Sealed secrets inside; opened by delivery/endpoint-auth.ts. */
    oauth2: EndpointOAuth2 | null;
    mtls: EndpointMtls | null;
    /** The timeout this attempt uses (adaptive, at most the configured one). */
    timeoutMs: number;
    retryScheduleS: number[] | null;
    /** thin: the request carries a URL to fetch the data instead of the data (delivery/payload-url.ts). */
    payloadMode: PayloadMode;
  };
}
