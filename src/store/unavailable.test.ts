import { describe, expect, it } from "vitest";
import { isStoreUnavailable } from "./unavailable.ts";

const withCode = (code: string) => Object.assign(new Error("x"), { code });

describe("isStoreUnavailable", () => {
  it("treats unreachable, timed-out and full stores as retryable", () => {
    for (const code of ["ECONNREFUSED", "57P01", "57014", "55P03", "08006", "SQLITE_FULL", "SQLITE_IOERR_WRITE", "SQLITE_BUSY_SNAPSHOT"]) {
      expect(isStoreUnavailable(withCode(code)), code).toBe(true);
    }
    expect(isStoreUnavailable(new Error("Query read timeout"))).toBe(true);
    expect(isStoreUnavailable(new Error("Connection terminated unexpectedly"))).toBe(true);
  });

  it("does not hide bugs and bad data behind a 503", () => {
    for (const code of ["23505", "23503", "22P02", "42P01", "SQLITE_CONSTRAINT", "SQLITE_ERROR"]) {
      expect(isStoreUnavailable(withCode(code)), code).toBe(false);
    }
    expect(isStoreUnavailable(new TypeError("cannot read properties of undefined"))).toBe(false);
    expect(isStoreUnavailable(null)).toBe(false);
  });
});
