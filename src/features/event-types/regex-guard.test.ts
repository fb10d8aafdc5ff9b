import { describe, expect, it } from "vitest";
import { MAX_PATTERN_LENGTH, unsafePatternReason } from "./regex-guard.ts";

describe("unsafePatternReason", () => {
  it.each([
    "^(a+)+$",
    "^(a*)*b",
    "(a|aa)*",
    "^(\\w+\\s?)*$",
    "((ab)*c)+",
    "(?:x+y?)+",
    "(a+){2,}",
    "(?<n>a+)+",
    "^([a-z]+\\.)+[a-z]+$",
    "a*a*a*a*a*a*b",
    ".*.*.*x",
    "^[a-z]+[0-9]+[a-z]{1,200}$",
  ])("accepts what backtracks, since patterns run on a linear-time engine: %s", (pattern) => {
    expect(unsafePatternReason(pattern)).toBeNull();
  });

  it.each(["^(a)\\1$", "(?<x>a)\\k<x>"])("refuses backreferences: %s", (pattern) => {
    expect(unsafePatternReason(pattern)).toMatch(/linear-time engine/);
  });

  it.each(["^(?=a)", "(?!a)b", "(?<=a)b", "(?<!a)b"])("refuses lookaround: %s", (pattern) => {
    expect(unsafePatternReason(pattern)).toMatch(/linear-time engine/);
  });

  it.each(["^in_[0-9]+$", "^\\d{4}-\\d{2}-\\d{2}$", "^[^@]+@[^@]+$", "^(?:[0-9a-f]{2}:){5}[0-9a-f]{2}$", "^\\u00e9\\u{1F680}$"])(
    "accepts ordinary patterns: %s",
    (pattern) => {
      expect(unsafePatternReason(pattern)).toBeNull();
    },
  );

  it("refuses very long patterns and patterns that compile to huge programs", () => {
    expect(unsafePatternReason("a".repeat(MAX_PATTERN_LENGTH))).toBeNull();
    expect(unsafePatternReason("a".repeat(MAX_PATTERN_LENGTH + 1))).toMatch(/limited to/);
    expect(unsafePatternReason("[a-z]{1000}[0-9]{1000}x")).toMatch(/instructions/);
    expect(unsafePatternReason("(a{1000}){1000}")).toMatch(/linear-time engine/);
  });
});
