/**
 * A tiny webhook receiver for trying hookd locally. It prints every request with its outcome and checks the Standard
 * Webhooks signature with hookd's own verifiers (src/signing depends on node:crypto only, so receivers can reuse it):
 * HMAC `v1` with WEBHOOK_SECRET, Ed25519 `v1a` with WEBHOOK_PUBLIC_KEY. A bad signature is answered 401; a good one
 * 204, unless the failure mode says this request fails (see failure-mode.ts), so retries and dead letters show.
 *
 *   WEBHOOK_SECRET=whsec_... npm run receiver                  HMAC-signed endpoints
 *   WEBHOOK_PUBLIC_KEY=whpk_... npm run receiver               Ed25519-signed endpoints
 *   FAIL=always|first:N|rate:P FAIL_STATUS=500 npm run receiver  answer FAIL_STATUS instead of 204 to some requests
 *   PORT=0 npm run receiver                                    any free port (printed); the default is 9000
 */
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { parseEd25519PublicKey, verifyEd25519Header } from "../src/signing/ed25519.ts";
import { parseSecret } from "../src/signing/secret.ts";
import { DEFAULT_TOLERANCE_S, verifySignature } from "../src/signing/standard-webhooks.ts";
import { failureDecider, parseFailureMode } from "./failure-mode.ts";

/** Reads the settings; a bad one ends the process with a message, before anything listens. */
function settings() {
  try {
    const port = Number(process.env.PORT ?? 9000);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error("PORT must be a port number (0: any free one)");
    const failStatus = Number(process.env.FAIL_STATUS ?? 500);
    if (!Number.isInteger(failStatus) || failStatus < 200 || failStatus > 599) throw new Error("FAIL_STATUS must be 200-599");
    const secret = process.env.WEBHOOK_SECRET ? parseSecret(process.env.WEBHOOK_SECRET) : null;
    const publicKey = process.env.WEBHOOK_PUBLIC_KEY ? parseEd25519PublicKey(process.env.WEBHOOK_PUBLIC_KEY) : null;
    const fail = process.env.FAIL ?? "";
    return { port, failStatus, secret, publicKey, fail, fails: failureDecider(parseFailureMode(fail)) };
  } catch (err) {
    console.error(`receiver: ${(err as Error).message}`);
    process.exit(2);
  }
}

const { port, failStatus, secret, publicKey, fail, fails } = settings();

/** null when no key is set; otherwise whether some signature in the header verifies under a configured key. */
function signatureValid(req: IncomingMessage, body: Buffer): boolean | null {
  if (!secret && !publicKey) return null;
  const msgId = String(req.headers["webhook-id"] ?? "");
  const timestampS = Number(req.headers["webhook-timestamp"]);
  const header = String(req.headers["webhook-signature"] ?? "");
  const nowS = Math.floor(Date.now() / 1000);
  if (secret && verifySignature({ keys: [secret], msgId, timestampS, body, header, nowS })) return true;
  // The Ed25519 verifier leaves the replay window to the caller: the same 5 minutes as for v1.
  const fresh = Number.isSafeInteger(timestampS) && Math.abs(nowS - timestampS) <= DEFAULT_TOLERANCE_S;
  return publicKey !== null && fresh && verifyEd25519Header(publicKey, msgId, timestampS, body, header);
}

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on("data", (c: Buffer) => chunks.push(c));
  req.on("end", () => {
    // Verify the raw bytes as received: a body parsed and re-serialised no longer matches its signature.
    const body = Buffer.concat(chunks);
    const id = String(req.headers["webhook-id"] ?? "");
    const valid = signatureValid(req, body);
    let status = 204;
    let why = "";
    if (valid === false) {
      status = 401;
      why = "invalid signature";
    } else if (fails(id)) {
      status = failStatus;
      why = `failing on purpose (FAIL=${fail})`;
    }
    const signature = valid === null ? "unchecked" : valid ? "valid" : "INVALID";
    console.log(
      `${new Date().toISOString()} ${req.method} ${req.url} webhook-id=${id} attempt=${String(req.headers["webhook-attempt"])}` +
        ` signature=${signature} -> ${status}${why ? ` ${why}` : ""}\n  ${body.toString("utf8")}`,
    );
    res.writeHead(status, why ? { "content-type": "text/plain" } : {});
    res.end(why);
  });
});

server.listen(port, "127.0.0.1", () => {
  const { port: actual } = server.address() as AddressInfo;
  const checks = [secret && "HMAC (WEBHOOK_SECRET)", publicKey && "Ed25519 (WEBHOOK_PUBLIC_KEY)"].filter(Boolean);
  console.log(
    `receiver listening on http://127.0.0.1:${actual}` +
      ` (signatures: ${checks.length > 0 ? checks.join(" and ") : "not checked"}` +
      `${fail ? `; FAIL=${fail} answers ${failStatus}` : ""})`,
  );
});

// Ctrl-C and SIGTERM both stop it at once (npm runs it with exec, so the signal reaches this process).
for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => process.exit(0));
