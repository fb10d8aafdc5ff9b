/**
 * A tiny webhook receiver for trying hookd locally: prints every request and, when WEBHOOK_SECRET is set, checks its
 * Standard Webhooks signature with hookd's own verifier (src/signing has no other dependencies, so receivers can
 * reuse it). Answers 204 when the signature verifies (or no secret is set), 401 when it does not.
 *
 *   WEBHOOK_SECRET=whsec_... PORT=9000 npm run receiver
 */
import { createServer } from "node:http";
import { parseSecret } from "../src/signing/secret.ts";
import { verifySignature } from "../src/signing/standard-webhooks.ts";

const port = Number(process.env.PORT ?? 9000);
const secret = process.env.WEBHOOK_SECRET;

createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on("data", (c: Buffer) => chunks.push(c));
  req.on("end", () => {
    const body = Buffer.concat(chunks).toString("utf8");
    const id = String(req.headers["webhook-id"] ?? "");
    const timestamp = Number(req.headers["webhook-timestamp"]);
    const signature = String(req.headers["webhook-signature"] ?? "");
    const verified = secret
      ? verifySignature({
          keys: [parseSecret(secret)],
          msgId: id,
          timestampS: timestamp,
          body,
          header: signature,
          nowS: Math.floor(Date.now() / 1000),
        })
      : null;
    console.log(
      `${new Date().toISOString()} ${req.method} ${req.url} webhook-id=${id} attempt=${String(req.headers["webhook-attempt"])}` +
        ` signature=${verified === null ? "not checked (no WEBHOOK_SECRET)" : verified ? "valid" : "INVALID"}\n  ${body}`,
    );
    res.writeHead(verified === false ? 401 : 204);
    res.end();
  });
}).listen(port, "127.0.0.1", () => console.log(`receiver listening on http://127.0.0.1:${port}`));
