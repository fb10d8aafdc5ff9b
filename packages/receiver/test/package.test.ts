/**
 * The package as its users get it: packed with `npm pack`, installed from the tarball into an empty project, then
 * imported by plain Node (no TypeScript loader) through every entry point, and type-checked as a strict TypeScript
 * consumer. The tarball holds the build and the README, not the sources or tests.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type PackedInstall, packAndInstall, typeCheck } from "../../../test/support/packed-package.ts";
import { signVector } from "./support/vectors.js";

describe("@hookd/receiver from its npm pack tarball", () => {
  let install: PackedInstall;
  beforeAll(() => {
    install = packAndInstall("packages/receiver");
  }, 120_000);
  afterAll(() => install?.remove());

  it("ships the build, its types and the README, and nothing else", () => {
    expect(install.files).toContain("dist/index.js");
    expect(install.files).toContain("dist/index.d.ts");
    for (const adapter of ["express", "fastify", "hono", "next"]) {
      expect(install.files).toContain(`dist/adapters/${adapter}.js`);
      expect(install.files).toContain(`dist/adapters/${adapter}.d.ts`);
    }
    expect(install.files).toContain("README.md");
    expect(install.files.filter((f) => f.startsWith("src/") || f.startsWith("test/"))).toEqual([]);
  });

  it("is imported by plain Node through every entry point and verifies a reference vector", () => {
    const v = signVector("sw-v1-basic");
    writeFileSync(
      join(install.dir, "check.mjs"),
      `import { createVerifier, WebhookVerificationError } from "@hookd/receiver";
import { webhookMiddleware } from "@hookd/receiver/express";
import { webhookPlugin } from "@hookd/receiver/fastify";
import { webhookMiddleware as hono } from "@hookd/receiver/hono";
import { withWebhook } from "@hookd/receiver/next";
const verifier = createVerifier({ secret: ${JSON.stringify(v.secret)}, now: () => ${v.timestamp * 1000} });
const headers = { "webhook-id": ${JSON.stringify(v.msg_id)}, "webhook-timestamp": "${v.timestamp}", "webhook-signature": ${JSON.stringify(v.expected_signature)} };
const webhook = verifier.verify(${JSON.stringify(v.payload)}, headers);
let refused = "";
try { verifier.verify("{}", headers); } catch (e) { refused = e instanceof WebhookVerificationError ? e.code : String(e); }
console.log(JSON.stringify({ id: webhook.id, payload: webhook.payload, refused, adapters: [webhookMiddleware, webhookPlugin, hono, withWebhook].map((f) => typeof f) }));
`,
    );
    const out = JSON.parse(install.run(process.execPath, ["check.mjs"]));
    expect(out).toEqual({
      id: v.msg_id,
      payload: JSON.parse(v.payload!),
      refused: "INVALID_SIGNATURE",
      adapters: ["function", "function", "function", "function"],
    });
  });

  it("type-checks a strict TypeScript consumer, and its types catch misuse", () => {
    writeFileSync(
      join(install.dir, "consumer.ts"),
      `import { createServer } from "node:http";
import { createDeduper, createVerifier, MemoryDedupeStore, type VerifiedWebhook } from "@hookd/receiver";
import { webhookMiddleware } from "@hookd/receiver/express";
import { withWebhook } from "@hookd/receiver/next";
const verifier = createVerifier({ secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", toleranceS: 300 });
const dedupe = createDeduper({ store: new MemoryDedupeStore() });
export const POST: (request: Request) => Promise<Response> = withWebhook({ secret: "whsec_x", dedupe }, (webhook: VerifiedWebhook) => {
  const id: string = webhook.id;
  return new Response(id);
});
createServer((req, res) => {
  const webhook = verifier.verify<{ type: string }>(Buffer.alloc(0), req.headers);
  const type: string = webhook.payload.type;
  res.end(type);
});
webhookMiddleware({ secret: "whsec_x" });
// @ts-expect-error a secret is text, not a number
createVerifier({ secret: 42 });
// @ts-expect-error the verified id is a string
const wrong: number = verifier.verify("", {}).id;
`,
    );
    expect(typeCheck(install, "consumer.ts")).toBe("");
  });
});
