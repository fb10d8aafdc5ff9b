/**
 * The ports deliveries may target (`HOOKD_ALLOWED_PORTS`). Ports below 1024 other than 80 and 443 are where SSH,
 * SMTP, DNS and other internal services listen, so by default a tenant may name only the web ports and the
 * unprivileged range.
 */

/** An inclusive range of TCP ports. */
export interface PortRange {
  readonly from: number;
  readonly to: number;
}

export const DEFAULT_ALLOWED_PORTS = "80,443,1024-65535";

/**
 * Parses `80,443,1024-65535`: comma-separated ports and inclusive ranges, each from 1 to 65535. Entries are trimmed;
 * the list must not be empty. Throws an Error naming the first bad entry.
 *
 * @example parsePortList("80, 8000-8999") // [{ from: 80, to: 80 }, { from: 8000, to: 8999 }]
 */
export function parsePortList(text: string): PortRange[] {
  const ranges: PortRange[] = [];
  for (const raw of text.split(",")) {
    const entry = raw.trim();
    if (entry === "") continue;
    const match = /^(\d{1,5})(?:\s*-\s*(\d{1,5}))?$/.exec(entry);
    const from = Number(match?.[1]);
    const to = match?.[2] === undefined ? from : Number(match[2]);
    if (!match || from < 1 || to > 65535 || from > to) {
      throw new Error(`invalid port or range ${JSON.stringify(entry)}: use ports 1-65535 and ranges like 1024-65535`);
    }
    ranges.push({ from, to });
  }
  if (ranges.length === 0) throw new Error("must list at least one port");
  return ranges;
}

export function isPortAllowed(port: number, allowed: readonly PortRange[]): boolean {
  return allowed.some((r) => port >= r.from && port <= r.to);
}

/** `80,443,1024-65535`, for messages. */
export function formatPortList(allowed: readonly PortRange[]): string {
  return allowed.map((r) => (r.from === r.to ? String(r.from) : `${r.from}-${r.to}`)).join(",");
}
