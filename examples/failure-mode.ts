/**
 * The example receiver's failure mode: which requests it answers with an error instead of a success, so the retry
 * and dead-letter path can be watched on a laptop. Read from the `FAIL` setting:
 *
 *   always     every request fails
 *   first:N    the first N requests of each webhook-id fail, later ones succeed (retries that end well)
 *   rate:P     each request fails with probability P (0 to 1)
 *
 * Counting per webhook-id (the event id, the same on every retry) rather than per request keeps `first:N` telling
 * the same story for every event, however many arrive at once.
 */

export type FailureMode =
  | { kind: "never" }
  | { kind: "always" }
  | { kind: "first"; n: number }
  | { kind: "rate"; p: number };

export class FailureModeError extends Error {}

/**
 * @example parseFailureMode("first:2") // { kind: "first", n: 2 }
 * @throws {FailureModeError} for anything but the three forms above (or empty, which means never)
 */
export function parseFailureMode(raw: string | undefined): FailureMode {
  const text = (raw ?? "").trim();
  if (text === "") return { kind: "never" };
  if (text === "always") return { kind: "always" };
  const first = /^first:(\d+)$/.exec(text);
  if (first) return { kind: "first", n: Number(first[1]) };
  const rate = /^rate:(\d*\.?\d+)$/.exec(text);
  if (rate && Number(rate[1]) <= 1) return { kind: "rate", p: Number(rate[1]) };
  throw new FailureModeError(`FAIL must be always, first:N or rate:P with P from 0 to 1 (got "${text}")`);
}

/** Decides request by request; keeps the per-webhook-id counts `first:N` needs. */
export function failureDecider(mode: FailureMode, random: () => number = Math.random): (webhookId: string) => boolean {
  const seen = new Map<string, number>();
  return (webhookId) => {
    switch (mode.kind) {
      case "never":
        return false;
      case "always":
        return true;
      case "rate":
        return random() < mode.p;
      case "first": {
        const count = (seen.get(webhookId) ?? 0) + 1;
        seen.set(webhookId, count);
        return count <= mode.n;
      }
    }
  };
}
