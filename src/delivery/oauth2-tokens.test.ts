import { describe, expect, it } from "vitest";
import { parseTokenResponse, TokenRequestError } from "./oauth2-token.ts";
import { DEFAULT_TOKEN_LIFETIME_S, OAuth2Tokens, type TokenFetch } from "./oauth2-tokens.ts";

/** A fetch that hands out tok-1, tok-2 ... with the given lifetime, counting its calls. */
function issuer(expiresInS: number | null) {
  const state = { calls: 0 };
  const fetch: TokenFetch = async () => {
    state.calls++;
    return { value: `tok-${state.calls}`, expiresInS };
  };
  return { state, fetch };
}

describe("OAuth2Tokens", () => {
  it("fetches once for concurrent callers and reuses the token until 80% of a short lifetime has passed", async () => {
    let now = 1_000_000;
    const tokens = new OAuth2Tokens(() => now);
    const { state, fetch } = issuer(100);
    const first = await Promise.all([1, 2, 3].map(() => tokens.get("ep_1", "s", fetch)));
    expect(first).toEqual(["tok-1", "tok-1", "tok-1"]);
    expect(state.calls).toBe(1);
    now += 79_999;
    expect(await tokens.get("ep_1", "s", fetch)).toBe("tok-1");
    now += 1;
    expect(await tokens.get("ep_1", "s", fetch)).toBe("tok-2");
    expect(state.calls).toBe(2);
  });

  it("refreshes a long-lived token 60 s before it expires", async () => {
    let now = 0;
    const tokens = new OAuth2Tokens(() => now);
    const { state, fetch } = issuer(3600);
    await tokens.get("ep_1", "s", fetch);
    now = 3_539_999;
    expect(await tokens.get("ep_1", "s", fetch)).toBe("tok-1");
    now = 3_540_000;
    expect(await tokens.get("ep_1", "s", fetch)).toBe("tok-2");
    expect(state.calls).toBe(2);
  });

  it("keeps a token without expires_in for the default lifetime", async () => {
    let now = 0;
    const tokens = new OAuth2Tokens(() => now);
    const { fetch } = issuer(null);
    await tokens.get("ep_1", "s", fetch);
    now = DEFAULT_TOKEN_LIFETIME_S * 1000 * 0.8 - 1;
    expect(await tokens.get("ep_1", "s", fetch)).toBe("tok-1");
    now = DEFAULT_TOKEN_LIFETIME_S * 1000;
    expect(await tokens.get("ep_1", "s", fetch)).toBe("tok-2");
  });

  it("drops a token a 401 rejected, but not a newer one", async () => {
    const tokens = new OAuth2Tokens(() => 0);
    const { state, fetch } = issuer(3600);
    expect(await tokens.get("ep_1", "s", fetch)).toBe("tok-1");
    tokens.invalidate("ep_1", "tok-1");
    expect(await tokens.get("ep_1", "s", fetch)).toBe("tok-2");
    tokens.invalidate("ep_1", "tok-1");
    expect(await tokens.get("ep_1", "s", fetch)).toBe("tok-2");
    expect(state.calls).toBe(2);
  });

  it("never uses a token fetched with other settings, nor another endpoint's", async () => {
    const tokens = new OAuth2Tokens(() => 0);
    const { state, fetch } = issuer(3600);
    expect(await tokens.get("ep_1", "old", fetch)).toBe("tok-1");
    expect(await tokens.get("ep_1", "new", fetch)).toBe("tok-2");
    expect(await tokens.get("ep_2", "new", fetch)).toBe("tok-3");
    expect(state.calls).toBe(3);
  });

  it("uses the still-valid token when an early refresh fails, and fails once it has expired", async () => {
    let now = 0;
    const tokens = new OAuth2Tokens(() => now);
    await tokens.get("ep_1", "s", issuer(100).fetch);
    const failing: TokenFetch = async () => {
      throw new TokenRequestError("token endpoint down");
    };
    now = 90_000;
    expect(await tokens.get("ep_1", "s", failing)).toBe("tok-1");
    now = 100_000;
    await expect(tokens.get("ep_1", "s", failing)).rejects.toThrow("token endpoint down");
  });
});

describe("parseTokenResponse", () => {
  const url = "https://auth.example/token";

  it("reads a bearer token and its lifetime (a number or a numeric string)", () => {
    expect(parseTokenResponse(url, 200, '{"access_token":"abc","token_type":"Bearer","expires_in":60}')).toEqual({
      value: "abc",
      expiresInS: 60,
    });
    expect(parseTokenResponse(url, 200, '{"access_token":"abc","token_type":"bearer","expires_in":"60"}').expiresInS).toBe(60);
    expect(parseTokenResponse(url, 200, '{"access_token":"abc"}').expiresInS).toBeNull();
  });

  it("says what the server said when it refuses, and refuses what is not a bearer token", () => {
    expect(() => parseTokenResponse(url, 401, '{"error":"invalid_client","error_description":"bad secret"}')).toThrow(
      `token endpoint ${url} answered HTTP 401: invalid_client (bad secret)`,
    );
    expect(() => parseTokenResponse(url, 503, "<html>")).toThrow(/answered HTTP 503$/);
    expect(() => parseTokenResponse(url, 200, "not json")).toThrow(/without a JSON object/);
    expect(() => parseTokenResponse(url, 200, '{"access_token":"a b"}')).toThrow(/without a usable access_token/);
    expect(() => parseTokenResponse(url, 200, '{"access_token":"abc","token_type":"mac"}')).toThrow(/type "mac", not Bearer/);
  });
});
