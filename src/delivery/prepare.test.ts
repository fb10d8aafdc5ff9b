import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { generateSecret } from "../signing/secret.ts";
import type { ClaimedDelivery } from "./claimed.ts";
import { VERSION } from "../version.ts";
import { generateMasterKey } from "../secrets/master-key.ts";
import { SecretBox } from "../secrets/secret-box.ts";
import { PayloadTokens } from "../secrets/payload-token.ts";
import { PayloadUrls } from "./payload-url.ts";
import { RESERVED_HEADERS, prepareRequest, renderBody, renderThinBody } from "./prepare.ts";
import { RequestSigner } from "./sign-request.ts";

const box = new SecretBox(generateMasterKey());
const signer = new RequestSigner(box);

const CREATED_AT = Date.UTC(2024, 2, 10, 8, 30, 15, 123);

function delivery(headers: Record<string, string> = {}, secret: string = generateSecret()): ClaimedDelivery {
  return {
    id: "dlv_1",
    tenantId: "acme",
    eventId: "evt_0001",
    endpointId: "ep_1",
    seq: 7,
    attempts: 2,
    cycleAttempts: 2,
    event: { type: "invoice.paid", dataJson: '{ "amount" : 4200, "note":"caf\\u00e9" }', createdAt: CREATED_AT },
    endpoint: {
      url: "https://example.com/hook",
      signatureScheme: "hmac_sha256",
      sealedSecret: box.seal(secret, "ep_1"),
      previousSealedSecret: null,
      previousSecretExpiresAt: null,
      headers,
      oauth2: null,
      mtls: null,
      timeoutMs: 10_000,
      retryScheduleS: null,
      payloadMode: "full",
    },
  };
}

describe("renderBody", () => {
  it("is the event envelope with the data text kept verbatim", () => {
    const body = renderBody("evt_1", "invoice.paid", CREATED_AT, '{ "a" : [1, 2] }');
    expect(body).toBe('{"id":"evt_1","type":"invoice.paid","timestamp":"2024-03-10T08:30:15.123Z","data":{ "a" : [1, 2] }}');
    expect(JSON.parse(body)).toEqual({
      id: "evt_1",
      type: "invoice.paid",
      timestamp: "2024-03-10T08:30:15.123Z",
      data: { a: [1, 2] },
    });
  });

  it("escapes ids and types that need it, so the body stays valid JSON", () => {
    const body = renderBody('evt_"q"\\', "a.b", 0, "null");
    expect(JSON.parse(body)).toEqual({ id: 'evt_"q"\\', type: "a.b", timestamp: "1970-01-01T00:00:00.000Z", data: null });
  });
});

describe("prepareRequest", () => {
  it("sends the rendered body to the endpoint URL", () => {
    const d = delivery();
    const req = prepareRequest(d, Date.now(), signer);
    expect(req.url).toBe("https://example.com/hook");
    expect(req.body).toBe(
      `{"id":"evt_0001","type":"invoice.paid","timestamp":"${new Date(CREATED_AT).toISOString()}","data":${d.event.dataJson}}`,
    );
    expect(JSON.parse(req.body)).toMatchObject({ id: "evt_0001", data: { amount: 4200, note: "café" } });
  });

  it("sets the protocol headers", () => {
    const now = 1_700_000_123_999;
    const req = prepareRequest(delivery(), now, signer);
    expect(req.attempt).toBe(3);
    expect(req.headers["webhook-id"]).toBe("evt_0001");
    expect(req.headers["webhook-timestamp"]).toBe("1700000123");
    expect(req.headers["webhook-attempt"]).toBe("3");
    expect(req.headers["webhook-sequence"]).toBe("7");
    expect(req.headers["content-type"]).toBe("application/json");
    expect(req.headers["user-agent"]).toBe(`hookd/${VERSION}`);
    expect(req.headers["user-agent"]?.startsWith("hookd/")).toBe(true);
    expect(req.headers["webhook-signature"]).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/);
  });

  it("keeps the body byte-identical across attempts while timestamp and signature change", () => {
    const d = delivery();
    const a = prepareRequest(d, 1_700_000_000_000, signer);
    const b = prepareRequest({ ...d, attempts: 3 }, 1_700_000_060_000, signer);
    expect(b.body).toBe(a.body);
    expect(b.headers["webhook-attempt"]).toBe("4");
    expect(b.headers["webhook-sequence"]).toBe(a.headers["webhook-sequence"]);
    expect(b.headers["webhook-signature"]).not.toBe(a.headers["webhook-signature"]);
  });

  it("produces a signature the standardwebhooks reference library accepts", () => {
    const secret = generateSecret();
    const req = prepareRequest(delivery({}, secret), Date.now(), signer);
    const payload = new Webhook(secret).verify(req.body, req.headers);
    expect(payload).toEqual(JSON.parse(req.body));
  });

  it("produces a signature another secret does not verify", () => {
    const req = prepareRequest(delivery({}, generateSecret()), Date.now(), signer);
    expect(() => new Webhook(generateSecret()).verify(req.body, req.headers)).toThrow();
  });

  it("sends the endpoint's custom headers", () => {
    const req = prepareRequest(delivery({ "X-Api-Token": "t0k", "x-team": "billing" }), Date.now(), signer);
    expect(req.headers["x-api-token"]).toBe("t0k");
    expect(req.headers["x-team"]).toBe("billing");
  });

  it("never lets custom headers replace hookd's own, whatever their case", () => {
    const secret = generateSecret();
    const hostile: Record<string, string> = {
      "Webhook-Signature": "v1,forged",
      "WEBHOOK-ID": "evt_forged",
      "webhook-timestamp": "1",
      "Webhook-Attempt": "99",
      "Content-Type": "text/plain",
      "User-Agent": "evil/1.0",
      Host: "internal.example",
      "Content-Length": "1",
      "Transfer-Encoding": "chunked",
      Connection: "upgrade",
      "X-Kept": "yes",
    };
    const now = Date.now();
    const req = prepareRequest(delivery(hostile, secret), now, signer);
    expect(req.headers["webhook-id"]).toBe("evt_0001");
    expect(req.headers["webhook-timestamp"]).toBe(String(Math.floor(now / 1000)));
    expect(req.headers["webhook-attempt"]).toBe("3");
    expect(req.headers["content-type"]).toBe("application/json");
    expect(req.headers["user-agent"]).toBe(`hookd/${VERSION}`);
    expect(req.headers["webhook-signature"]).not.toContain("forged");
    expect(() => new Webhook(secret).verify(req.body, req.headers)).not.toThrow();
    for (const name of Object.keys(req.headers)) {
      // Only lower-case names, so no second spelling of a reserved header can reach the wire.
      expect(name).toBe(name.toLowerCase());
    }
    for (const reserved of ["host", "content-length", "transfer-encoding", "connection"]) {
      expect(RESERVED_HEADERS.has(reserved)).toBe(true);
      expect(req.headers).not.toHaveProperty(reserved);
    }
    expect(req.headers["x-kept"]).toBe("yes");
  });
});

describe("prepareRequest: thin deliveries", () => {
  const tokens = new PayloadTokens(box);
  const thinSigner = new RequestSigner(
    box,
    new PayloadUrls(tokens, { baseUrl: "https://hooks.example.com", ttlS: 600, maxFullBytes: 1024 }),
  );
  const thin = (d: ClaimedDelivery): ClaimedDelivery => ({ ...d, endpoint: { ...d.endpoint, payloadMode: "thin" } });

  it("sends the envelope with null data and a signed payload URL for this event and endpoint, inside the signature", () => {
    const secret = generateSecret();
    const now = Date.now();
    const req = prepareRequest(thin(delivery({}, secret)), now, thinSigner);
    const body = JSON.parse(req.body) as Record<string, unknown>;
    expect(Object.keys(body)).toEqual(["id", "type", "timestamp", "data", "payload_url"]);
    expect(body).toMatchObject({ id: "evt_0001", type: "invoice.paid", timestamp: new Date(CREATED_AT).toISOString(), data: null });
    const url = new URL(body.payload_url as string);
    expect(`${url.origin}${url.pathname}`).toBe("https://hooks.example.com/v1/events/evt_0001/payload");
    expect(tokens.verify(url.searchParams.get("token")!, "evt_0001", now)).toEqual({
      tenantId: "acme",
      endpointId: "ep_1",
      eventId: "evt_0001",
      expiresAt: Math.floor((now + 600_000) / 1000) * 1000,
    });
    expect(new Webhook(secret).verify(req.body, req.headers)).toEqual(body);
    // The data is nowhere in the request.
    expect(req.body).not.toContain("4200");
  });

  it("mints a fresh URL for each attempt", () => {
    const d = thin(delivery());
    const a = JSON.parse(prepareRequest(d, 1_800_000_000_000, thinSigner).body) as { payload_url: string };
    const b = JSON.parse(prepareRequest(d, 1_800_000_100_000, thinSigner).body) as { payload_url: string };
    expect(a.payload_url).not.toBe(b.payload_url);
  });

  it("delivers data larger than the full-payload limit thin, whatever the endpoint's mode", () => {
    const d = delivery();
    const big = { ...d, event: { ...d.event, dataJson: JSON.stringify({ blob: "é".repeat(600) }) } }; // > 1024 bytes, < 1024 units
    expect(JSON.parse(prepareRequest(big, Date.now(), thinSigner).body)).toMatchObject({ data: null });
    expect(JSON.parse(prepareRequest(d, Date.now(), thinSigner).body)).toMatchObject({ data: { amount: 4200 } });
  });

  it("refuses to prepare a thin delivery without payload URL settings rather than send the data", () => {
    expect(() => prepareRequest(thin(delivery()), Date.now(), signer)).toThrow(/payload URL/);
  });

  it("renderThinBody keeps the envelope's field order and escapes the URL", () => {
    expect(renderThinBody("evt_1", "a.b", 0, 'https://x/y?token="q"')).toBe(
      '{"id":"evt_1","type":"a.b","timestamp":"1970-01-01T00:00:00.000Z","data":null,"payload_url":"https://x/y?token=\\"q\\""}',
    );
  });
});
