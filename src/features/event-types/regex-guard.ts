/**
 * The check on the regular expressions a tenant's schema brings (`pattern`, `patternProperties`), made when the
 * schema is saved. Patterns run on RE2 (linear-pattern.ts), in linear time whatever their shape, so the shapes that
 * made a backtracking engine explode (nested repetition `^(a+)+$`, several variable quantifiers in a row `a*a*b`)
 * are accepted now. What remains refused: what RE2 cannot run (lookaround, backreferences), patterns longer than
 * MAX_PATTERN_LENGTH and patterns whose compiled program is too large; the message says which.
 */
import { compileLinearPattern, MAX_PATTERN_LENGTH, PatternSyntaxError } from "./linear-pattern.ts";

export { MAX_PATTERN_LENGTH };

/**
 * @returns why the pattern is refused, or null when it is acceptable.
 * @example unsafePatternReason("(?=a)") // "invalid or unsupported Perl syntax: `(?=` (patterns run on a linear-time engine ...)"
 */
export function unsafePatternReason(pattern: string): string | null {
  try {
    compileLinearPattern(pattern);
    return null;
  } catch (err) {
    if (err instanceof PatternSyntaxError) return err.message;
    throw err;
  }
}
