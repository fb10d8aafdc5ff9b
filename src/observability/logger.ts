/**
 * Structured JSON logs (pino). Delivery lines carry event_id, delivery_id and endpoint_id so one grep follows an
 * event through every attempt. Secrets and keys are redacted wherever they might appear in a logged object.
 */
import { type DestinationStream, pino, type Logger } from "pino";

/** `destination` defaults to stdout; tests pass a stream to read the lines back. */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  const options = {
    level,
    base: { service: "hookd" },
    redact: { paths: ["secret", "*.secret", "req.headers.authorization", "headers.authorization"], censor: "[redacted]" },
  };
  return destination ? pino(options, destination) : pino(options);
}
