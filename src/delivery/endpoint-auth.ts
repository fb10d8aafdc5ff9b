/**
 * What an attempt needs to authenticate to an endpoint beyond the signature (domain/endpoint-auth.ts), for the
 * worker: the dispatcher its request goes through (the endpoint's mTLS agent, or the shared one) and the bearer
 * token to send (OAuth2 client credentials). Sealed values are opened here, on the worker, just before use, as the
 * signer opens signing secrets.
 */
import type { Dispatcher } from "undici";
import { MTLS_KEY_FIELD, mtlsToStore, OAUTH2_SECRET_FIELD, oauth2ToStore } from "../domain/endpoint-auth.ts";
import type { EgressPolicy } from "../outbound/egress-policy.ts";
import type { SecretBox } from "../secrets/secret-box.ts";
import type { ClaimedDelivery } from "./claimed.ts";
import { MtlsAgents, type ClientTls } from "./mtls-agents.ts";
import { fetchAccessToken } from "./oauth2-token.ts";
import type { SendOutcome } from "./send.ts";
import { OAuth2Tokens } from "./oauth2-tokens.ts";

export interface EndpointAuthOptions {
  box: SecretBox;
  /** The shared outbound agent: endpoints without mTLS, and every token request. */
  dispatcher: Dispatcher;
  policy: EgressPolicy;
  now?: () => number;
}

/**
 * The stored text of a settings object (the cache key of its token or agent), computed once per object: an owner
 * hands every delivery the same config object until the endpoint changes, and a CA bundle can be long.
 */
const storedText = new WeakMap<object, string>();
function textOf<T extends object>(settings: T, toStore: (s: T) => string | null): string {
  let text = storedText.get(settings);
  if (text === undefined) {
    text = toStore(settings) ?? "";
    storedText.set(settings, text);
  }
  return text;
}

export class EndpointAuth {
  private readonly tokens: OAuth2Tokens;
  private readonly agents: MtlsAgents;

  constructor(private readonly opts: EndpointAuthOptions) {
    this.tokens = new OAuth2Tokens(opts.now);
    this.agents = new MtlsAgents(opts.policy, opts.now);
  }

  /**
   * The dispatcher for the delivery's requests.
   * @throws {SecretUnsealError} when the client key cannot be opened
   */
  dispatcherFor(d: ClaimedDelivery): Dispatcher {
    const mtls = d.endpoint.mtls;
    if (mtls === null) return this.opts.dispatcher;
    return this.agents.agentFor(d.endpointId, textOf(mtls, mtlsToStore), () => {
      const tls: ClientTls = {};
      if (mtls.cert !== null) tls.cert = mtls.cert;
      if (mtls.sealedKey !== null) tls.key = this.opts.box.openField(mtls.sealedKey, d.endpointId, MTLS_KEY_FIELD);
      if (mtls.ca !== null) tls.ca = mtls.ca;
      return tls;
    });
  }

  /**
   * The bearer token for the delivery's endpoint, or null when it has no OAuth2 settings.
   * @throws {TokenRequestError} when no token can be had; {SecretUnsealError} when the client secret does not open
   */
  async bearerToken(d: ClaimedDelivery, timeoutMs: number, signal?: AbortSignal): Promise<string | null> {
    const oauth2 = d.endpoint.oauth2;
    if (oauth2 === null) return null;
    return this.tokens.get(d.endpointId, textOf(oauth2, oauth2ToStore), () =>
      fetchAccessToken(
        {
          tokenUrl: oauth2.tokenUrl,
          clientId: oauth2.clientId,
          clientSecret: this.opts.box.openField(oauth2.sealedClientSecret, d.endpointId, OAUTH2_SECRET_FIELD),
          scopes: oauth2.scopes,
          audience: oauth2.audience,
          clientAuth: oauth2.clientAuth,
        },
        { dispatcher: this.opts.dispatcher, policy: this.opts.policy, timeoutMs, ...(signal ? { signal } : {}) },
      ),
    );
  }

  /**
   * A clearer account of an mTLS endpoint's request that failed with the connection closed and no answer. Under
   * TLS 1.3 a receiver checks the client certificate after the client considers the handshake done, so a missing or
   * untrusted certificate surfaces as "other side closed". When a connection of the endpoint's agent saw the
   * receiver's TLS alert since `since`, the attempt becomes of class `tls` with that alert; otherwise the message
   * says what the closed connection most likely means.
   */
  explain(d: ClaimedDelivery, sent: SendOutcome, since: number): SendOutcome {
    const mtls = d.endpoint.mtls;
    const r = sent.result;
    if (mtls === null || r.kind !== "error" || r.errorClass !== "connect") return sent;
    const presented = mtls.cert === null ? "the endpoint presents no client certificate" : "the receiver did not accept the endpoint's client certificate";
    const alert = this.agents.refusal(d.endpointId, since);
    if (alert !== null) {
      const code = (alert as { code?: unknown }).code;
      const said = /alert ([a-z0-9 ]+)/i.exec(alert.message)?.[1] ?? alert.message;
      return { ...sent, result: { ...r, errorClass: "tls", message: `the receiver refused the TLS handshake (${String(code)}: ${said}); ${presented}` } };
    }
    if (!r.message.startsWith("UND_ERR_SOCKET")) return sent;
    const likely =
      mtls.cert === null
        ? "the endpoint presents no client certificate, and a receiver that requires one closes the connection this way"
        : "a receiver that does not trust the endpoint's client certificate closes the connection this way under TLS 1.3";
    return { ...sent, result: { ...r, message: `${r.message} before answering; ${likely}` } };
  }

  /** The endpoint answered 401 to a request carrying `token`: the next one fetches a new token. */
  rejected(d: ClaimedDelivery, token: string): void {
    this.tokens.invalidate(d.endpointId, token);
  }

  async close(): Promise<void> {
    await this.agents.close();
  }
}
