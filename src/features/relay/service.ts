/**
 * Relay endpoints (`hookd listen`): a tenant's endpoint of type `relay`, whose deliveries travel through a listen
 * session to a developer's machine instead of to a URL. It is an ordinary endpoint in every other way (fan-out by
 * event type, the delivery log, retries, the dead-letter list, the tenant's own data), so what the developer's local
 * server answers is the delivery's outcome.
 *
 * Its URL is hookd's own relay route on the API process that holds its session, written here and nowhere else: on
 * registration, and again whenever a session connects to another process (outbound/relay-egress.ts says why that
 * keeps the egress guard whole). The session's end disables the endpoint (the command does so when it stops); a
 * connection that just drops leaves it enabled, so deliveries wait and retry until a session connects again.
 */
import { newId } from "../../domain/ids.ts";
import type { Endpoint } from "../../domain/types.ts";
import { AppError } from "../../errors/app-error.ts";
import { relayRouteUrl } from "../../outbound/relay-egress.ts";
import type { SecretBox } from "../../secrets/secret-box.ts";
import { generateSecret, parseSecret } from "../../signing/secret.ts";
import { verifySignature } from "../../signing/standard-webhooks.ts";
import type { Store } from "../../store/store.ts";
import { endpointAudit } from "../audit/notes.ts";
import { DEFAULT_MAX_IN_FLIGHT, DEFAULT_TIMEOUT_MS } from "../endpoints/service.ts";

export interface RelayRegistration {
  event_types?: string[] | undefined;
  description?: string | undefined;
  /** Resume this relay endpoint (enabled again, subscriptions replaced when given) instead of creating one. */
  endpoint_id?: string | undefined;
}

export class RelayService {
  constructor(
    private readonly store: Store,
    private readonly secrets: SecretBox,
    /** The base address other hookd processes reach this API process at (HOOKD_RELAY_URL, or where it listens). */
    private readonly relayBase: () => string,
    private readonly now: () => number = Date.now,
  ) {}

  /** A new relay endpoint with a generated secret (returned once, as endpoint creation does), or a resumed one. */
  async register(tenantId: string, input: RelayRegistration, actorKeyId: string): Promise<{ endpoint: Endpoint; secret: string | null }> {
    if (input.endpoint_id !== undefined) {
      await this.relayEndpoint(tenantId, input.endpoint_id);
      const at = this.now();
      const patch = {
        disabled: false,
        disabledReason: null,
        url: relayRouteUrl(this.relayBase(), tenantId, input.endpoint_id),
        ...(input.event_types !== undefined ? { eventTypes: [...new Set(input.event_types)] } : {}),
      };
      const endpoint = await this.store.updateEndpoint(tenantId, input.endpoint_id, patch, at, endpointAudit(actorKeyId, "endpoint.enabled", at));
      if (!endpoint) throw new AppError("ENDPOINT_NOT_FOUND", `endpoint ${input.endpoint_id} not found`);
      await this.store.resetEndpointState(tenantId, endpoint.id, this.now());
      return { endpoint, secret: null };
    }
    const at = this.now();
    const id = newId("ep");
    const secret = generateSecret();
    const endpoint: Endpoint = {
      id,
      tenantId,
      type: "relay",
      url: relayRouteUrl(this.relayBase(), tenantId, id),
      description: input.description ?? "hookd listen",
      eventTypes: [...new Set(input.event_types ?? ["*"])],
      filterJson: null,
      payloadMode: "full",
      // A relay forwards to a developer's own server through the session: ordering and receiver credentials are the
      // concern of real endpoints.
      ordering: "none",
      fifoOnDead: "continue",
      oauth2: null,
      mtls: null,
      signatureScheme: "hmac_sha256",
      sealedSecret: this.secrets.seal(secret, id),
      previousSealedSecret: null,
      previousSecretExpiresAt: null,
      publicKey: null,
      headers: {},
      timeoutMs: DEFAULT_TIMEOUT_MS,
      maxInFlight: DEFAULT_MAX_IN_FLIGHT,
      rateLimitPerS: null,
      retryScheduleS: null,
      disabled: false,
      disabledReason: null,
      metadata: {},
      createdAt: at,
      updatedAt: at,
    };
    await this.store.insertEndpoint(endpoint, endpointAudit(actorKeyId, "endpoint.created", at));
    return { endpoint, secret };
  }

  /**
   * Called when a session connects to this process: points the endpoint's URL at this process's relay route (a
   * laptop may reconnect through a load balancer to another API process), so the endpoint's owner sends here.
   */
  async connect(tenantId: string, endpointId: string): Promise<Endpoint> {
    const endpoint = await this.relayEndpoint(tenantId, endpointId);
    const url = relayRouteUrl(this.relayBase(), tenantId, endpointId);
    if (endpoint.url === url) return endpoint;
    return (await this.store.updateEndpoint(tenantId, endpointId, { url }, this.now())) ?? endpoint;
  }

  /**
   * The endpoint's timeout when a request to the relay route was signed with its secret, else null: the worker
   * signs every delivery (Standard Webhooks), so that signature is the route's credential, and nobody without the
   * secret can push a request into a developer's session.
   */
  async signedTimeout(tenantId: string, endpointId: string, headers: Record<string, string>, body: string): Promise<number | null> {
    const endpoint = await this.store.getEndpoint(tenantId, endpointId);
    if (!endpoint || endpoint.type !== "relay" || endpoint.signatureScheme !== "hmac_sha256") return null;
    const at = this.now();
    const keys = [parseSecret(this.secrets.open(endpoint.sealedSecret, endpoint.id))];
    if (endpoint.previousSealedSecret !== null && (endpoint.previousSecretExpiresAt ?? 0) > at) {
      keys.push(parseSecret(this.secrets.open(endpoint.previousSealedSecret, endpoint.id)));
    }
    const signed = verifySignature({
      keys,
      msgId: headers["webhook-id"] ?? "",
      timestampS: Number(headers["webhook-timestamp"]),
      body,
      header: headers["webhook-signature"] ?? "",
      nowS: Math.floor(at / 1000),
    });
    return signed ? endpoint.timeoutMs : null;
  }

  private async relayEndpoint(tenantId: string, endpointId: string): Promise<Endpoint> {
    const endpoint = await this.store.getEndpoint(tenantId, endpointId);
    if (!endpoint) throw new AppError("ENDPOINT_NOT_FOUND", `endpoint ${endpointId} not found`);
    if (endpoint.type !== "relay") {
      throw new AppError("NOT_A_RELAY_ENDPOINT", `endpoint ${endpointId} is an http endpoint; hookd listen needs a relay endpoint it registered`);
    }
    return endpoint;
  }
}
