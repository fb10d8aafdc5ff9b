/**
 * The error type services throw for anything a caller did wrong or can retry. The HTTP layer turns it into
 * `{code, message, details?}` with the status from the registry.
 */
import { ERROR_CODES, type ErrorCode } from "./codes.ts";

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly details: unknown[] | undefined;
  /** Seconds for a `Retry-After` header (429s): when trying again can succeed. */
  readonly retryAfterS: number | undefined;

  constructor(code: ErrorCode, message: string, details?: unknown[], retryAfterS?: number) {
    super(message);
    this.name = "AppError";
    this.code = code;
    this.status = ERROR_CODES[code].status;
    this.details = details;
    this.retryAfterS = retryAfterS;
  }
}

export function isAppError(err: unknown): err is AppError {
  return err instanceof AppError;
}
