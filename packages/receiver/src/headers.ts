/**
 * Reads the three Standard Webhooks headers from whatever a framework offers: a Fetch `Headers` object (Next.js,
 * Hono, any Request), Node's lower-cased `req.headers`, or a plain object in any letter case.
 */

export type HeaderSource = Headers | { get(name: string): string | null } | Record<string, string | string[] | undefined>;

export interface WebhookHeaders {
  id: string | undefined;
  timestamp: string | undefined;
  signature: string | undefined;
  attempt: string | undefined;
}

function reader(source: HeaderSource): (name: string) => string | undefined {
  if (typeof (source as Headers).get === "function") {
    return (name) => (source as Headers).get(name) ?? undefined;
  }
  const record = source as Record<string, string | string[] | undefined>;
  const lower = new Map<string, string | string[] | undefined>();
  for (const [key, value] of Object.entries(record)) lower.set(key.toLowerCase(), value);
  return (name) => {
    const value = lower.get(name);
    // A header sent twice arrives as a list in some frameworks; signatures are space-separated entries anyway.
    return Array.isArray(value) ? value.join(" ") : value;
  };
}

export function readWebhookHeaders(source: HeaderSource): WebhookHeaders {
  const get = reader(source);
  return {
    id: get("webhook-id"),
    timestamp: get("webhook-timestamp"),
    signature: get("webhook-signature"),
    attempt: get("webhook-attempt"),
  };
}
