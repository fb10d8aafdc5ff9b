/**
 * Structured JSON logs (pino). Delivery lines carry event_id, delivery_id and endpoint_id so one grep follows an
 * event through every attempt. Secrets and keys are redacted wherever they might appear in a logged object.
 */
import { pino, type Logger } from "pino";

export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { service: "hookd" },
    redact: { paths: ["secret", "*.secret", "req.headers.authorization", "headers.authorization"], censor: "[redacted]" },
  });
}
