/**
 * Every in-repo link in the Markdown documentation, and every `docs/<file>.md#<anchor>` named in source comments and
 * schema descriptions, must lead somewhere: the file exists and, when an anchor is given, the target has a heading
 * with that GitHub anchor. The README is a front door that links into docs/, bench/ and chaos/; moving a section
 * must not leave a link pointing at nothing.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import GithubSlugger from "github-slugger";
import { describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const SKIP = new Set(["node_modules", ".git", "data"]);

function filesUnder(dir: string, ext: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (SKIP.has(entry.name)) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...filesUnder(path, ext));
    else if (entry.name.endsWith(ext)) out.push(path);
  }
  return out;
}

/** The GitHub anchors of a Markdown file's headings (outside fenced code, where `#` starts shell comments). */
function anchorsOf(markdownPath: string): Set<string> {
  const slugger = new GithubSlugger();
  const anchors = new Set<string>();
  let fenced = false;
  for (const line of readFileSync(markdownPath, "utf8").split("\n")) {
    if (line.startsWith("```")) fenced = !fenced;
    const heading = fenced ? null : /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (heading) anchors.add(slugger.slug(heading[1]!));
  }
  return anchors;
}

interface Link {
  from: string;
  target: string;
}

/** Problems with one link, relative to the file that holds it (or to the repository for source references). */
function problem(link: Link, base: string): string | null {
  const [path = "", anchor] = link.target.split("#");
  const file = path === "" ? link.from : resolve(base, decodeURIComponent(path));
  if (!existsSync(file)) return `${relative(ROOT, link.from)}: ${link.target} (no such file)`;
  if (anchor !== undefined && file.endsWith(".md") && !anchorsOf(file).has(anchor)) {
    return `${relative(ROOT, link.from)}: ${link.target} (no heading #${anchor} in ${relative(ROOT, file)})`;
  }
  return null;
}

function markdownLinks(file: string): Link[] {
  const text = readFileSync(file, "utf8").replace(/```[\s\S]*?```/g, "");
  return [...text.matchAll(/\]\(([^)\s]+)\)/g)]
    .map((m) => m[1]!)
    .filter((target) => !/^[a-z]+:/.test(target))
    .map((target) => ({ from: file, target }));
}

describe("documentation links", () => {
  const markdown = filesUnder(ROOT, ".md");

  it("finds the documentation it is meant to check", () => {
    const names = markdown.map((f) => relative(ROOT, f));
    for (const expected of ["README.md", "docs/api.md", "docs/configuration.md", "bench/README.md"]) {
      expect(names).toContain(expected);
    }
  });

  it("every relative link in a Markdown file leads to an existing file and heading", () => {
    const links = markdown.flatMap(markdownLinks);
    expect(links.length).toBeGreaterThan(50);
    const broken = links.map((l) => problem(l, dirname(l.from))).filter((p) => p !== null);
    expect(broken).toEqual([]);
  });

  it("every docs/, bench/ or chaos/ Markdown file named in the source exists, with the named heading", () => {
    const sources = ["src", "test", "bench", "chaos", "examples", "scripts"].flatMap((d) => filesUnder(join(ROOT, d), ".ts"));
    const links = sources.flatMap((file) =>
      [...readFileSync(file, "utf8").matchAll(/\b((?:docs|bench|chaos)\/[\w./-]*\.md(?:#[\w-]+)?)/g)].map((m) => ({
        from: file,
        target: m[1]!,
      })),
    );
    expect(links.length).toBeGreaterThan(3);
    const broken = links.map((l) => problem(l, ROOT)).filter((p) => p !== null);
    expect(broken).toEqual([]);
  });
});
