/**
 * A failure the command line reports in one line and an exit status, never with a stack: a refusal from the hookd
 * API (its stable code and message), hookd not reachable, or a setting that is missing or malformed.
 */

export class CliError extends Error {
  constructor(
    message: string,
    /** hookd's error code when the API refused, shown before the message. */
    readonly code: string | null = null,
    /** 1 for a failure, 2 for a usage mistake (a missing setting or a malformed flag). */
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = "CliError";
  }
}

/** A flag or setting the user must fix (exit status 2). */
export const usageError = (message: string) => new CliError(message, null, 2);
