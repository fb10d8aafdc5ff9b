import { describe, expect, it } from "vitest";
import type { AttemptOutcome, ErrorClass } from "../domain/types.ts";
import { classify } from "./classify.ts";

type Row = [statusCode: number, outcome: AttemptOutcome, disableEndpoint: boolean, rateLimited: boolean];

const STATUS_TABLE: Row[] = [
  [200, "success", false, false],
  [201, "success", false, false],
  [204, "success", false, false],
  [299, "success", false, false],
  // Redirects are not followed, so they are failures worth retrying.
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
      expect(c.error).toBe(`HTTP ${statusCode}`);
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
