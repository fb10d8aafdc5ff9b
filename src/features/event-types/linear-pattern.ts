/**
 * Schema patterns run on RE2 (the `re2js` package, a pure-JavaScript port of RE2), which matches in time linear in
 * the subject for any pattern: no backtracking, so no pattern, however written, can take exponential or polynomial
 * time on a hostile string. V8's own engine backtracks, and `a*a*b` alone took 5 ms per 256-character string (the
 * freeze of issue 13).
 *
 * Why re2js rather than the `re2` native module: the native module's current releases need Node 22, it builds with
 * node-gyp at install (an `allowScripts` exception, a compiler on every machine, and a prebuilt download that an
 * offline install cannot fetch), and a native addon is one more thing that must load in each worker thread. re2js
 * installs as plain JavaScript, runs anywhere Node does, and is fast enough here (well under a millisecond for a
 * 256-character subject and a pattern of a few hundred instructions).
 *
 * JSON Schema patterns are ECMAScript regular expressions, and RE2's syntax differs in a few spellings, so a pattern
 * is translated first: `\uXXXX`, `\u{...}` and surrogate pairs become `\x{...}`, `\cX` a control character, `[\b]` a
 * backspace, `.` "anything but a line terminator" and `\s` ECMAScript's white space, as in JavaScript. What RE2
 * cannot do at all in linear time (lookahead, lookbehind, backreferences) fails to compile: such a schema is
 * refused when saved (422 INVALID_SCHEMA).
 */
import { RE2JS } from "re2js";

/** Longest pattern accepted: payload patterns are short, and RE2's program grows with the pattern. */
export const MAX_PATTERN_LENGTH = 1024;
/**
 * Most RE2 instructions a compiled pattern may have. Matching is linear in the subject but also proportional to the
 * program's size (`[a-z]{1000}` costs about 1 ms per 256 characters), so the size is bounded too.
 */
export const MAX_PROGRAM_SIZE = 2_000;

/** ECMAScript white space and line terminators, what `\s` means in JavaScript. */
const JS_SPACE = "\\t\\n\\x{0B}\\f\\r \\x{A0}\\x{1680}\\x{2000}-\\x{200A}\\x{2028}\\x{2029}\\x{202F}\\x{205F}\\x{3000}\\x{FEFF}";
/** `.` in JavaScript without the s flag: anything but a line terminator. */
const JS_DOT = "[^\\n\\r\\x{2028}\\x{2029}]";

export class PatternSyntaxError extends Error {}

/**
 * A pattern compiled for RE2, or why it cannot be.
 * @throws {PatternSyntaxError} with a message for the schema's author
 * @example compileLinearPattern("^in_[0-9]+$").test("in_42") // true
 */
export function compileLinearPattern(pattern: string): { test(s: string): boolean } {
  if (pattern.length > MAX_PATTERN_LENGTH) throw new PatternSyntaxError(`patterns are limited to ${MAX_PATTERN_LENGTH} characters`);
  let re: RE2JS;
  try {
    re = RE2JS.compile(toRe2Syntax(pattern));
  } catch (err) {
    const why = (err as Error).message.replace(/^error parsing regexp: /, "");
    throw new PatternSyntaxError(
      `${why} (patterns run on a linear-time engine: lookahead, lookbehind and backreferences are not supported)`,
    );
  }
  if (re.programSize() > MAX_PROGRAM_SIZE) {
    throw new PatternSyntaxError(`pattern compiles to more than ${MAX_PROGRAM_SIZE} instructions; use smaller repetition counts`);
  }
  return { test: (s: string) => re.test(s) };
}

/** Rewrites the ECMAScript spellings RE2 reads differently or not at all (see the module comment). */
export function toRe2Syntax(pattern: string): string {
  let out = "";
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === "\\") {
      const next = pattern[i + 1];
      if (next === undefined) return out + c; // RE2 reports the trailing backslash
      if (next === "u") {
        const escape = unicodeEscape(pattern, i);
        if (escape) {
          out += `\\x{${escape.codePoint.toString(16)}}`;
          i += escape.length - 1;
          continue;
        }
      }
      if (next === "c" && /[A-Za-z]/.test(pattern[i + 2] ?? "")) {
        out += `\\x{${(pattern.charCodeAt(i + 2) % 32).toString(16)}}`;
        i += 2;
        continue;
      }
      if (next === "b" && inClass) {
        out += "\\x{8}";
        i++;
        continue;
      }
      if (next === "s") {
        out += inClass ? JS_SPACE : `[${JS_SPACE}]`;
        i++;
        continue;
      }
      if (next === "S" && !inClass) {
        out += `[^${JS_SPACE}]`;
        i++;
        continue;
      }
      const unicodeProperty = next === "p" || next === "P" ? /^\\[pP]\{(?:Script|sc|General_Category|gc)=([A-Za-z_]+)\}/.exec(pattern.slice(i)) : null;
      if (unicodeProperty) {
        out += `\\${next}{${unicodeProperty[1]}}`;
        i += unicodeProperty[0].length - 1;
        continue;
      }
      out += c + next;
      i++;
      continue;
    }
    if (inClass) {
      if (c === "]") inClass = false;
      out += c;
      continue;
    }
    if (c === "[") {
      // ECMAScript's `[]` matches nothing and `[^]` anything; RE2 would read the `]` as a member.
      if (pattern.startsWith("[]", i)) {
        out += "[^\\x{0}-\\x{10FFFF}]";
        i += 1;
        continue;
      }
      if (pattern.startsWith("[^]", i)) {
        out += "[\\x{0}-\\x{10FFFF}]";
        i += 2;
        continue;
      }
      inClass = true;
      out += c;
      continue;
    }
    out += c === "." ? JS_DOT : c;
  }
  return out;
}

/** `\uXXXX` (a surrogate pair of two such escapes is one code point) or `\u{X...}` at `i`; null when malformed. */
function unicodeEscape(pattern: string, i: number): { codePoint: number; length: number } | null {
  const braced = /^\\u\{([0-9A-Fa-f]{1,6})\}/.exec(pattern.slice(i, i + 10));
  if (braced) return { codePoint: Number.parseInt(braced[1]!, 16), length: braced[0].length };
  const four = /^\\u([0-9A-Fa-f]{4})/.exec(pattern.slice(i, i + 6));
  if (!four) return null;
  const unit = Number.parseInt(four[1]!, 16);
  const low = /^\\u([dD][c-fC-F][0-9A-Fa-f]{2})/.exec(pattern.slice(i + 6, i + 12));
  if (unit >= 0xd800 && unit <= 0xdbff && low) {
    const lowUnit = Number.parseInt(low[1]!, 16);
    return { codePoint: 0x10000 + ((unit - 0xd800) << 10) + (lowUnit - 0xdc00), length: 12 };
  }
  return { codePoint: unit, length: 6 };
}
