import { describe, expect, it } from "vitest";
import type { AttemptOutcome, ErrorClass } from "../domain/types.ts";
import { classify } from "./classify.ts";

type Row = [statusCode: number, outcome: AttemptOutcome, disableEndpoint: boolean, rateLimited: boolean];

const STATUS_TABLE: Row[] = [
  [200, "success", false, false],
  [201, "success", false, false],
  [204, "success", false, false],
  [299, "success", false, false],
  // send follows one redirect; a 3xx that reaches classify was not followed and is a failure worth retrying.
  [301, "retry", false, false],
  [302, "retry", false, false],
  [304, "retry", false, false],
  [400, "permanent", false, false],
  [401, "permanent", false, false],
  [403, "permanent", false, false],
  [404, "permanent", false, false],
  [408, "retry", false, false],
  [409, "permanent", false, false],
  [410, "permanent", true, false],
  [422, "permanent", false, false],
  [429, "retry", false, true],
  [500, "retry", false, false],
  [502, "retry", false, false],
  [503, "retry", false, false],
  [504, "retry", false, false],
];

describe("classify: HTTP responses", () => {
  it.each(STATUS_TABLE)("%i -> %s (disable %s, rate limited %s)", (statusCode, outcome, disableEndpoint, rateLimited) => {
    const c = classify({ kind: "response", statusCode, retryAfter: undefined });
    expect(c.outcome).toBe(outcome);
    expect(c.disableEndpoint).toBe(disableEndpoint);
    expect(c.rateLimited).toBe(rateLimited);
    if (outcome === "success") {
      expect(c.errorClass).toBeNull();
      expect(c.error).toBeNull();
    } else {
      expect(c.errorClass).toBe("http_status");
      if (statusCode >= 300 && statusCode < 400) expect(c.error).toMatch(new RegExp(`^HTTP ${statusCode}: `));
      else expect(c.error).toBe(`HTTP ${statusCode}`);
    }
  });

  it("does not let Retry-After change the outcome of a non-429", () => {
    const c = classify({ kind: "response", statusCode: 503, retryAfter: "120" });
    expect(c).toMatchObject({ outcome: "retry", rateLimited: false, disableEndpoint: false });
  });
});

describe("classify: transport errors", () => {
  const table: [ErrorClass, AttemptOutcome][] = [
    ["timeout", "retry"],
    ["connect", "retry"],
    ["dns", "retry"],
    ["tls", "retry"],
    ["ssrf_blocked", "permanent"],
  ];

  it.each(table)("%s -> %s", (errorClass, outcome) => {
    const message = `boom: ${errorClass}`;
    const c = classify({ kind: "error", errorClass, message });
    expect(c.outcome).toBe(outcome);
    expect(c.disableEndpoint).toBe(false);
    expect(c.rateLimited).toBe(false);
    expect(c.errorClass).toBe(errorClass);
    expect(c.error).toBe(message);
  });
});

describe("classify: redirects", () => {
  const redirect = { statusCode: 301, location: "https://b.example/hook" };

  it("notes a followed redirect on a success without making it a failure", () => {
    const c = classify({ kind: "response", statusCode: 200, retryAfter: undefined, redirect });
    expect(c).toEqual({
      outcome: "success",
      disableEndpoint: false,
      rateLimited: false,
      errorClass: null,
      error: "followed 301 redirect to https://b.example/hook",
    });
  });

  it("fails a second redirect, naming both hops", () => {
    const c = classify({
      kind: "response",
      statusCode: 302,
      retryAfter: undefined,
      redirect,
      location: "https://c.example/",
    });
    expect(c.outcome).toBe("retry");
    expect(c.errorClass).toBe("http_status");
    expect(c.error).toBe(
      "HTTP 302: a second redirect (to https://c.example/) was not followed; hookd follows at most one " +
        "(after a 301 redirect to https://b.example/hook)",
    );
  });

  it("says why a 3xx without a Location was not followed", () => {
    const c = classify({ kind: "response", statusCode: 307, retryAfter: undefined });
    expect(c.error).toBe("HTTP 307: not a redirect hookd can follow (no Location)");
    expect(c.outcome).toBe("retry");
  });

  it("keeps a refused redirect target permanent and ssrf_blocked", () => {
    const c = classify({ kind: "error", errorClass: "ssrf_blocked", message: "EGRESS_BLOCKED: 127.0.0.1 is a loopback address", redirect });
    expect(c.outcome).toBe("permanent");
    expect(c.errorClass).toBe("ssrf_blocked");
    expect(c.error).toBe("EGRESS_BLOCKED: 127.0.0.1 is a loopback address (after a 301 redirect to https://b.example/hook)");
  });

  it("notes the redirect on a failure after it", () => {
    const c = classify({ kind: "response", statusCode: 503, retryAfter: undefined, redirect });
    expect(c).toMatchObject({ outcome: "retry", error: "HTTP 503 (after a 301 redirect to https://b.example/hook)" });
  });
});
