import { describe, expect, it } from "vitest";
import fc from "fast-check";
import {
  EVENT_TYPE_FILTER_PATTERN,
  EVENT_TYPE_PATTERN,
  eventTypeCondition,
  matchesEventType,
} from "./event-type-match.ts";

describe("matchesEventType", () => {
  it("* matches every type", () => {
    expect(matchesEventType(["*"], "invoice.paid")).toBe(true);
    expect(matchesEventType(["*"], "x")).toBe(true);
  });

  it("an exact filter matches only that type", () => {
    expect(matchesEventType(["invoice.paid"], "invoice.paid")).toBe(true);
    expect(matchesEventType(["invoice.paid"], "invoice.paid.late")).toBe(false);
    expect(matchesEventType(["invoice.paid"], "invoice")).toBe(false);
    expect(matchesEventType(["invoice.paid"], "Invoice.paid")).toBe(false);
  });

  it("invoice.* matches every type below invoice, at any depth", () => {
    expect(matchesEventType(["invoice.*"], "invoice.paid")).toBe(true);
    expect(matchesEventType(["invoice.*"], "invoice.line.added")).toBe(true);
  });

  it("invoice.* matches neither invoice itself nor a type that merely starts with the same letters", () => {
    expect(matchesEventType(["invoice.*"], "invoice")).toBe(false);
    expect(matchesEventType(["invoice.*"], "invoices.paid")).toBe(false);
    expect(matchesEventType(["invoice.*"], "customer.invoice.paid")).toBe(false);
  });

  it("a nested wildcard only covers its own subtree", () => {
    expect(matchesEventType(["invoice.line.*"], "invoice.line.added")).toBe(true);
    expect(matchesEventType(["invoice.line.*"], "invoice.paid")).toBe(false);
  });

  it("matches when any one of several filters matches", () => {
    const filters = ["customer.created", "invoice.*"];
    expect(matchesEventType(filters, "customer.created")).toBe(true);
    expect(matchesEventType(filters, "invoice.paid")).toBe(true);
    expect(matchesEventType(filters, "customer.deleted")).toBe(false);
  });

  it("no filters match nothing", () => {
    expect(matchesEventType([], "invoice.paid")).toBe(false);
  });
});

describe("EVENT_TYPE_FILTER_PATTERN", () => {
  const re = new RegExp(EVENT_TYPE_FILTER_PATTERN);

  it.each(["*", "a.b", "a.*", "a.b.*", "invoice.paid", "a_b:c-d.*"])("accepts %j", (filter) => {
    expect(re.test(filter)).toBe(true);
  });

  it.each(["*.a", "a*", "a..b", "", "a.", ".a", "a.**", "**", "a b"])("rejects %j", (filter) => {
    expect(re.test(filter)).toBe(false);
  });
});

describe("EVENT_TYPE_PATTERN", () => {
  const re = new RegExp(EVENT_TYPE_PATTERN);

  it("accepts ordinary names and refuses wildcards, spaces, empty and over-long names", () => {
    expect(re.test("invoice.paid")).toBe(true);
    expect(re.test("a".repeat(128))).toBe(true);
    expect(re.test("a".repeat(129))).toBe(false);
    expect(re.test("")).toBe(false);
    expect(re.test("invoice.*")).toBe(false);
    expect(re.test("invoice paid")).toBe(false);
  });
});

describe("eventTypeCondition", () => {
  it("turns *, exact names and prefix wildcards into the conditions a store indexes", () => {
    expect(eventTypeCondition("*")).toEqual({ kind: "any" });
    expect(eventTypeCondition("invoice.paid")).toEqual({ kind: "exact", type: "invoice.paid" });
    expect(eventTypeCondition("invoice.*")).toEqual({ kind: "range", from: "invoice.", to: "invoice/" });
  });

  it("selects, under bytewise order, exactly the types the subscription matcher matches", () => {
    const segment = fc.stringMatching(/^[a-zA-Z0-9_:-]{1,6}$/);
    const name = fc.array(segment, { minLength: 1, maxLength: 4 }).map((s) => s.join("."));
    fc.assert(
      // Types are often built from the filter's own base, so near misses (`invoice`, `invoicex.y`) are exercised.
      fc.property(name, name, fc.constantFrom(null, "", ".x", "x", ".a.b", "-y", ":z"), fc.boolean(), (filterBase, other, suffix, wildcard) => {
        const type = suffix === null ? other : `${filterBase}${suffix}`;
        const filter = wildcard ? `${filterBase}.*` : filterBase;
        const c = eventTypeCondition(filter);
        const selected =
          c.kind === "any" || (c.kind === "exact" ? type === c.type : type >= c.from && type < c.to);
        expect(selected).toBe(matchesEventType([filter], type));
      }),
    );
  });
});
