/**
 * Times given on the command line (`--since`, `--until`): an ISO 8601 date-time as the API takes it, or a span back
 * from now such as `30m`, `2h` or `7d`, which is what one usually means ("the last two hours").
 */
import { usageError } from "../errors.ts";

const UNITS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/**
 * @example parseTime("2h", "--since", Date.parse("2026-01-01T12:00:00Z")) // "2026-01-01T10:00:00.000Z"
 * @throws {CliError} (usage) for anything else
 */
export function parseTime(text: string, flag: string, now = Date.now()): string {
  const span = /^(\d+)([smhdw])$/.exec(text.trim());
  if (span) return new Date(now - Number(span[1]) * UNITS[span[2]!]!).toISOString();
  const at = Date.parse(text);
  if (/^\d{4}-\d{2}-\d{2}/.test(text) && !Number.isNaN(at)) return new Date(at).toISOString();
  throw usageError(`${flag} must be a date-time (2026-01-31T09:00:00Z) or a span back from now (30m, 2h, 7d), not ${JSON.stringify(text)}`);
}
