import { describe, expect, it } from "vitest";
import { contentSecurityPolicy } from "./csp.ts";

describe("contentSecurityPolicy", () => {
  it("allows only hookd's own origin and no inline script", () => {
    const csp = contentSecurityPolicy(null);
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|https?:/);
    expect(csp.endsWith("frame-ancestors 'none'")).toBe(true);
  });

  it("frames only from the allow-list, and drops any value that is not a plain origin", () => {
    const csp = contentSecurityPolicy([
      "https://app.example.com",
      "https://*.example.org:8443",
      "https://evil.example; script-src *",
      "'unsafe-inline'",
      "https://a.example/path",
    ]);
    expect(csp.endsWith("frame-ancestors 'self' https://app.example.com https://*.example.org:8443")).toBe(true);
    expect(csp.split(";")).toHaveLength(9);
  });
});
