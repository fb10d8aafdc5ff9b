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
    "^(a?)+$",
    "(?<n>a+)+",
    "(a|b){2,10}",
    "^([a-z]+\\.)+[a-z]+$",
  ])("refuses nested repetition or repeated alternation: %s", (pattern) => {
    expect(unsafePatternReason(pattern)).toMatch(/catastrophic backtracking/);
  });

  it.each(["^(a)\\1$", "(?<x>a)\\k<x>"])("refuses backreferences: %s", (pattern) => {
    expect(unsafePatternReason(pattern)).toMatch(/backreferences/);
  });

  it.each([
    "^in_[0-9]+$",
    "^[a-z]+\\.[a-z]+$",
    "^(foo|bar)$",
    "^(ab)+$",
    "^(a+)?$",
    "^(a+){1}$",
    "[(+)]+",
    "\\(a+\\)+",
    "^\\d{4}-\\d{2}-\\d{2}$",
    "^[^@]+@[^@]+$",
    "^(?:[0-9a-f]{2}:){5}[0-9a-f]{2}$",
  ])("accepts single-level repetition: %s", (pattern) => {
    expect(unsafePatternReason(pattern)).toBeNull();
  });

  it.each(["a*a*a*b", ".*.*.*x", "^\\d*\\d*\\d*\\d*$", "a*a*a*a*a*a*b", "^[a-z]+[0-9]+[a-z]{1,200}$"])(
    "refuses more variable quantifiers than the budget allows: %s",
    (pattern) => {
      expect(unsafePatternReason(pattern)).toMatch(/too many variable quantifiers/);
    },
  );

  it.each(["a*a*b", "^[^@]{1,64}@[a-z]{1,16}\\.[a-z]{2,6}$", "^x?y?z?[a-z]+$"])(
    "accepts up to two unbounded quantifiers or small bounded ones: %s",
    (pattern) => {
      expect(unsafePatternReason(pattern)).toBeNull();
    },
  );

  it("refuses very long patterns", () => {
    expect(unsafePatternReason("a".repeat(MAX_PATTERN_LENGTH))).toBeNull();
    expect(unsafePatternReason("a".repeat(MAX_PATTERN_LENGTH + 1))).toMatch(/limited to/);
  });
});
