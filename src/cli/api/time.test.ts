import { describe, expect, it } from "vitest";
import { CliError } from "../errors.ts";
import { parseTime } from "./time.ts";

describe("parseTime", () => {
  const now = Date.parse("2026-01-31T12:00:00.000Z");

  it("reads a span back from now in seconds, minutes, hours, days or weeks", () => {
    expect(parseTime("90s", "--since", now)).toBe("2026-01-31T11:58:30.000Z");
    expect(parseTime("30m", "--since", now)).toBe("2026-01-31T11:30:00.000Z");
    expect(parseTime("2h", "--since", now)).toBe("2026-01-31T10:00:00.000Z");
    expect(parseTime("7d", "--since", now)).toBe("2026-01-24T12:00:00.000Z");
    expect(parseTime("1w", "--since", now)).toBe("2026-01-24T12:00:00.000Z");
  });

  it("passes a date-time on as ISO 8601 in UTC", () => {
    expect(parseTime("2026-01-02T03:04:05Z", "--until", now)).toBe("2026-01-02T03:04:05.000Z");
    expect(parseTime("2026-01-02T03:04:05+02:00", "--until", now)).toBe("2026-01-02T01:04:05.000Z");
    expect(parseTime("2026-01-02", "--until", now)).toBe("2026-01-02T00:00:00.000Z");
  });

  it.each(["yesterday", "2h ago", "-2h", "12", "2026-13-40T00:00:00Z", ""])("refuses %j as a usage mistake naming the flag", (text) => {
    let caught: unknown;
    try {
      parseTime(text, "--since", now);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(CliError);
    expect((caught as CliError).exitCode).toBe(2);
    expect((caught as CliError).message).toMatch(/^--since must be a date-time/);
  });
});
