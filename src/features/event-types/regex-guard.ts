/**
 * A static check on the regular expressions a tenant's schema brings (`pattern`, `patternProperties`). They run on
 * every event at ingest on the API's event loop, and V8's backtracking engine can take exponential time on a hostile
 * pattern (`^(a+)+$` against "aaaa...!"), which would stall every tenant served by the process. So patterns where a
 * repeated group itself repeats or alternates (star height above one: the classic catastrophic shapes) and
 * backreferences are refused when the schema is saved. Patterns with only single-level repetition still backtrack
 * polynomially: n^(k+1) steps for k variable quantifiers in a row (`a*a*a*a*b` on 255 characters is seconds, six of
 * them hours). Patterns only ever see strings of at most 256 characters (schema-compiler.ts), so each variable
 * quantifier can take at most 257 different counts; the product of those counts over the whole pattern is held under
 * QUANTIFIER_BUDGET, which keeps the worst case near 256^3 steps (milliseconds). In practice: at most two unbounded
 * quantifiers (`*`, `+`, `{n,}`), or more with small bounds (`[a-z]{1,16}`).
 */

/** Longer patterns are refused outright: payload patterns are short, and the check below is a sketch of a parser. */
export const MAX_PATTERN_LENGTH = 256;

/** Longest subject a pattern is run on (schema-compiler.ts MAX_PATTERN_SUBJECT), so the most counts a quantifier has. */
const SUBJECT_LIMIT = 256;
/** Product of the counts every variable quantifier can take: two unbounded ones (257^2) fit, a third does not. */
export const QUANTIFIER_BUDGET = 2 ** 17;

interface Group {
  /** The group can match in more than one way: it holds a variable quantifier (`*`, `+`, `?`, `{1,3}`) or an alternation. */
  risky: boolean;
}

/**
 * @returns why the pattern is refused, or null when it is acceptable.
 * @example unsafePatternReason("^(a+)+$") // "a repeated group contains repetition or alternation ..."
 */
export function unsafePatternReason(pattern: string): string | null {
  if (pattern.length > MAX_PATTERN_LENGTH) return `patterns are limited to ${MAX_PATTERN_LENGTH} characters`;
  const stack: Group[] = [{ risky: false }];
  /** Ways the variable quantifiers seen so far can split a subject, bounded by the subject's length. */
  let choices = 1;
  /** Whether the atom just before the current position is a group that was risky. */
  let lastAtomRiskyGroup = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    const top = stack[stack.length - 1]!;
    if (c === "\\") {
      const next = pattern[i + 1] ?? "";
      if (/[1-9]/.test(next) || next === "k") return "backreferences are not allowed";
      i++;
      lastAtomRiskyGroup = false;
      continue;
    }
    if (c === "[") {
      // A character class is one atom; skip to its closing bracket (escapes inside included).
      for (i++; i < pattern.length && pattern[i] !== "]"; i++) if (pattern[i] === "\\") i++;
      lastAtomRiskyGroup = false;
      continue;
    }
    if (c === "(") {
      stack.push({ risky: false });
      lastAtomRiskyGroup = false;
      // Skip the group's kind (`?:`, `?=`, `?!`, `?<=`, `?<!`, `?<name>`), so its `?` is not read as a quantifier.
      const kind = /^\?(:|=|!|<=|<!|<[A-Za-z_$][\w$]*>)/.exec(pattern.slice(i + 1));
      if (kind) i += kind[0].length;
      continue;
    }
    if (c === ")") {
      const closed = stack.length > 1 ? stack.pop()! : { risky: false };
      lastAtomRiskyGroup = closed.risky;
      // Whatever made the inner group risky makes the enclosing one risky too.
      if (closed.risky) stack[stack.length - 1]!.risky = true;
      continue;
    }
    if (c === "|") {
      top.risky = true;
      lastAtomRiskyGroup = false;
      continue;
    }
    const repeats = repetitionAt(pattern, i);
    if (repeats) {
      if (repeats.max > 1 && lastAtomRiskyGroup) {
        return "a repeated group contains repetition or alternation (catastrophic backtracking)";
      }
      // A fixed count (`{2}`) matches one way only; anything variable gives the engine choices to backtrack over.
      if (repeats.min !== repeats.max) {
        top.risky = true;
        choices *= Math.min(repeats.max, SUBJECT_LIMIT) - Math.min(repeats.min, SUBJECT_LIMIT) + 1;
        if (choices > QUANTIFIER_BUDGET) {
          return "too many variable quantifiers (polynomial backtracking): use at most two of *, + and {n,}, or bound the others, like {1,16}";
        }
      }
      i += repeats.length - 1;
      // A lazy or possessive marker after the quantifier is part of it.
      if (pattern[i + 1] === "?") i++;
      lastAtomRiskyGroup = false;
      continue;
    }
    lastAtomRiskyGroup = false;
  }
  return null;
}

/** A quantifier starting at `i`: `*`, `+`, `?` or `{n}`, `{n,}`, `{n,m}`; its counts and its length. */
function repetitionAt(pattern: string, i: number): { min: number; max: number; length: number } | null {
  const c = pattern[i];
  if (c === "*") return { min: 0, max: Infinity, length: 1 };
  if (c === "+") return { min: 1, max: Infinity, length: 1 };
  if (c === "?") return { min: 0, max: 1, length: 1 };
  if (c !== "{") return null;
  const m = /^\{(\d+)(,(\d*))?\}/.exec(pattern.slice(i));
  if (!m) return null;
  const min = Number(m[1]);
  const max = m[2] === undefined ? min : m[3] === "" ? Infinity : Number(m[3]);
  return { min, max, length: m[0].length };
}
