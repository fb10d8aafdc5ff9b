import { describe, expect, it } from "vitest";
import { DEFAULT_ALLOWED_PORTS, formatPortList, isPortAllowed, parsePortList } from "./port-list.ts";

describe("parsePortList", () => {
  it("parses the default into the web ports and the unprivileged range", () => {
    expect(parsePortList(DEFAULT_ALLOWED_PORTS)).toEqual([
      { from: 80, to: 80 },
      { from: 443, to: 443 },
      { from: 1024, to: 65535 },
    ]);
  });

  it("trims entries, accepts spaces around the dash and skips empty entries", () => {
    expect(parsePortList(" 8080 , 9000 - 9010,,")).toEqual([
      { from: 8080, to: 8080 },
      { from: 9000, to: 9010 },
    ]);
  });

  it.each(["", " , ", "0", "65536", "80-79", "http", "80,-5", "1024-", "1-2-3", "80;443", "99999"])(
    "refuses %j",
    (text) => {
      expect(() => parsePortList(text)).toThrow();
    },
  );

  it("names the bad entry", () => {
    expect(() => parsePortList("80,443,70000")).toThrow('"70000"');
  });

  it("round-trips through formatPortList", () => {
    expect(formatPortList(parsePortList("80,443,1024-65535"))).toBe("80,443,1024-65535");
  });
});

describe("isPortAllowed", () => {
  const allowed = parsePortList(DEFAULT_ALLOWED_PORTS);
  it.each([80, 443, 1024, 8080, 65535])("allows %i by default", (port) => {
    expect(isPortAllowed(port, allowed)).toBe(true);
  });
  it.each([1, 22, 25, 53, 81, 442, 444, 1023])("refuses %i by default", (port) => {
    expect(isPortAllowed(port, allowed)).toBe(false);
  });
});
