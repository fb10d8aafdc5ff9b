import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { AppError } from "./app-error.ts";
import { ERROR_CODES, type ErrorCode } from "./codes.ts";

const DOC = fileURLToPath(new URL("../../docs/errors.md", import.meta.url));

interface DocRow {
  code: string;
  status: number;
  meaning: string;
}

/** The rows of the `| code | status | meaning |` table in docs/errors.md, in order. */
function documentedCodes(): DocRow[] {
  const lines = readFileSync(DOC, "utf8").split("\n");
  const header = lines.findIndex((l) => /^\|\s*code\s*\|\s*status\s*\|\s*meaning\s*\|\s*$/.test(l.trim()));
  if (header === -1) throw new Error("docs/errors.md has no `| code | status | meaning |` table");
  const rows: DocRow[] = [];
  for (const line of lines.slice(header + 2)) {
    if (!line.trim().startsWith("|")) break;
    const cells = line
      .trim()
      .replace(/^\|/, "")
      .replace(/\|$/, "")
      .split("|")
      .map((c) => c.trim());
    const [code = "", status = "", meaning = ""] = cells;
    rows.push({ code: code.replace(/`/g, ""), status: Number(status), meaning });
  }
  return rows;
}

const registry = Object.entries(ERROR_CODES) as [ErrorCode, (typeof ERROR_CODES)[ErrorCode]][];

describe("docs/errors.md", () => {
  it("lists exactly the registry's codes, in the same order", () => {
    expect(documentedCodes().map((r) => r.code)).toEqual(registry.map(([code]) => code));
  });

  it("gives each code the registry's status and description", () => {
    const documented = new Map(documentedCodes().map((r) => [r.code, r]));
    for (const [code, entry] of registry) {
      expect(documented.get(code), code).toEqual({ code, status: entry.status, meaning: entry.description });
    }
  });
});

describe("ERROR_CODES", () => {
  it("uses only 4xx and 5xx statuses", () => {
    for (const [code, { status }] of registry) {
      expect(status >= 400 && status <= 599, `${code} has status ${status}`).toBe(true);
    }
  });

  it("keeps 5xx for INTERNAL_ERROR and SERVICE_UNAVAILABLE only", () => {
    const serverErrors = registry.filter(([, e]) => e.status >= 500).map(([code]) => code);
    expect(serverErrors.sort()).toEqual(["INTERNAL_ERROR", "SERVICE_UNAVAILABLE"]);
  });

  it("names codes in UPPER_SNAKE_CASE and describes each one", () => {
    for (const [code, { description }] of registry) {
      expect(code).toMatch(/^[A-Z]+(_[A-Z]+)*$/);
      expect(description.trim().length).toBeGreaterThan(0);
    }
  });
});

describe("AppError", () => {
  it("takes its status from the registry", () => {
    const err = new AppError("ENDPOINT_NOT_FOUND", "endpoint ep_1 not found", [{ id: "ep_1" }]);
    expect(err.status).toBe(404);
    expect(err.code).toBe("ENDPOINT_NOT_FOUND");
    expect(err.details).toEqual([{ id: "ep_1" }]);
    expect(new AppError("SERVICE_UNAVAILABLE", "down").status).toBe(503);
  });
});
