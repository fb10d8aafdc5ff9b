import { describe, expect, it } from "vitest";
import { headersForRedirect } from "./redirect-headers.ts";

const SENT = {
  authorization: "Bearer a",
  "x-api-key": "k",
  cookie: "c=1",
  "x-anything": "v",
  "content-type": "application/json",
  "user-agent": "hookd/0.1.0",
  "webhook-id": "evt_1",
  "webhook-timestamp": "1",
  "webhook-signature": "v1,s",
  "webhook-attempt": "1",
};
const PROTOCOL = ["content-type", "user-agent", "webhook-id", "webhook-timestamp", "webhook-signature", "webhook-attempt"];

describe("headersForRedirect", () => {
  it("keeps everything within one origin, whatever the path or query", () => {
    expect(headersForRedirect(SENT, new URL("https://a.example/x"), new URL("https://a.example:443/y?z=1"))).toBe(SENT);
  });

  it.each([
    ["another host", "https://b.example/x"],
    ["another port", "https://a.example:8443/x"],
    ["another scheme", "http://a.example/x"],
    ["a subdomain", "https://api.a.example/x"],
  ])("keeps only hookd's own headers on %s", (_why, to) => {
    expect(Object.keys(headersForRedirect(SENT, new URL("https://a.example/x"), new URL(to))).sort()).toEqual([...PROTOCOL].sort());
  });
});
