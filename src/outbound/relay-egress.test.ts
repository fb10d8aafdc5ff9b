import { describe, expect, it } from "vitest";
import { isRelayRouteOf, relayRouteUrl } from "./relay-egress.ts";

describe("relay routes", () => {
  it("builds the route of one endpoint under the API's base address", () => {
    expect(relayRouteUrl("http://127.0.0.1:8080/", "acme", "ep_1")).toBe("http://127.0.0.1:8080/internal/relay/acme/ep_1");
    expect(isRelayRouteOf(relayRouteUrl("http://10.0.3.7:8080", "acme", "ep_1"), "acme", "ep_1")).toBe(true);
  });

  it("accepts no other target for a relay request", () => {
    const route = "http://127.0.0.1:8080/internal/relay/acme/ep_1";
    expect(isRelayRouteOf(route, "acme", "ep_2")).toBe(false);
    expect(isRelayRouteOf(route, "other", "ep_1")).toBe(false);
    expect(isRelayRouteOf("http://169.254.169.254/latest/meta-data", "acme", "ep_1")).toBe(false);
    expect(isRelayRouteOf(`${route}?x=1`, "acme", "ep_1")).toBe(false);
    expect(isRelayRouteOf("http://user:pw@127.0.0.1:8080/internal/relay/acme/ep_1", "acme", "ep_1")).toBe(false);
    expect(isRelayRouteOf("file:///internal/relay/acme/ep_1", "acme", "ep_1")).toBe(false);
    expect(isRelayRouteOf("not a url", "acme", "ep_1")).toBe(false);
    // Dot segments are resolved by the URL parser before the path is compared.
    expect(isRelayRouteOf("http://127.0.0.1:8080/internal/relay/acme/ep_1/../ep_2", "acme", "ep_1")).toBe(false);
  });
});
