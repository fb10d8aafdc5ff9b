/**
 * Fetching a thin delivery's payload. The URL's token is the only credential (no API key: the receiver has none),
 * checked without a database read (secrets/payload-token.ts); then the event is read in the token's tenant, the
 * endpoint the token names must still exist there, and the fetch is logged (store/ports/payload-fetches.ts) before
 * the payload is sent. The answer is the body a full delivery would have carried, signed with the endpoint's secret
 * exactly like a webhook, so a receiver checks it with the verifier it already has.
 */
import { newId } from "../../domain/ids.ts";
import { renderBody } from "../../delivery/prepare.ts";
import { RequestSigner } from "../../delivery/sign-request.ts";
import { AppError } from "../../errors/app-error.ts";
import { PayloadTokenError, PayloadTokens } from "../../secrets/payload-token.ts";
import type { SecretBox } from "../../secrets/secret-box.ts";
import type { Store } from "../../store/store.ts";

/** A user agent longer than this is cut before it is logged. */
const MAX_USER_AGENT = 512;

export interface FetchedPayload {
  body: string;
  headers: Record<string, string>;
}

export class PayloadService {
  private readonly tokens: PayloadTokens;
  private readonly signer: RequestSigner;

  constructor(
    private readonly store: Store,
    box: SecretBox,
    private readonly now: () => number = Date.now,
  ) {
    this.tokens = new PayloadTokens(box);
    this.signer = new RequestSigner(box);
  }

  async fetch(eventId: string, token: string, client: { address: string | null; userAgent: string | null }): Promise<FetchedPayload> {
    const now = this.now();
    let claims;
    try {
      claims = this.tokens.verify(token, eventId, now);
    } catch (err) {
      if (!(err instanceof PayloadTokenError)) throw err;
      throw new AppError(err.reason === "expired" ? "PAYLOAD_TOKEN_EXPIRED" : "INVALID_PAYLOAD_TOKEN", err.message);
    }
    const [event, endpoint] = await Promise.all([
      this.store.getEvent(claims.tenantId, eventId),
      this.store.getEndpoint(claims.tenantId, claims.endpointId),
    ]);
    if (!endpoint) throw new AppError("INVALID_PAYLOAD_TOKEN", "the endpoint this payload URL was issued for no longer exists");
    if (!event) throw new AppError("EVENT_NOT_FOUND", `event ${eventId} not found`);
    if (event.payloadExpungedAt !== null) {
      throw new AppError("PAYLOAD_EXPUNGED", `event ${eventId}: the payload was expunged, nothing is left to fetch`);
    }
    const logged = await this.store.payloadFetches.record({
      id: newId("pfx"),
      tenantId: claims.tenantId,
      endpointId: claims.endpointId,
      eventId,
      fetchedAt: now,
      remoteAddress: client.address,
      userAgent: client.userAgent === null ? null : client.userAgent.slice(0, MAX_USER_AGENT),
    });
    if (!logged) throw new AppError("INVALID_PAYLOAD_TOKEN", "the endpoint this payload URL was issued for no longer exists");
    const body = renderBody(event.id, event.type, event.createdAt, event.dataJson);
    const timestampS = Math.floor(now / 1000);
    return {
      body,
      headers: {
        "webhook-id": event.id,
        "webhook-timestamp": String(timestampS),
        "webhook-signature": this.signer.signatureHeader({ endpointId: endpoint.id, eventId: event.id, endpoint }, timestampS, body, now),
      },
    };
  }
}
