/**
 * A tiny webhook receiver for trying hookd locally. It prints every request with its outcome and verifies the
 * Standard Webhooks signature with the receiver library (packages/receiver, `@hookd/receiver`): HMAC `v1` with
 * WEBHOOK_SECRET, Ed25519 `v1a` with WEBHOOK_PUBLIC_KEY, within 5 minutes of this clock. A request that does not
 * verify is answered 401; a genuine one 204, unless the failure mode says this request fails (see failure-mode.ts),
 * so retries and dead letters show.
 *
 *   WEBHOOK_SECRET=whsec_... npm run receiver                  HMAC-signed endpoints
 *   WEBHOOK_PUBLIC_KEY=whpk_... npm run receiver               Ed25519-signed endpoints
 *   FAIL=always|first:N|rate:P FAIL_STATUS=500 npm run receiver  answer FAIL_STATUS instead of 204 to some requests
 *   PORT=0 npm run receiver                                    any free port (printed); the default is 9000
 */
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { createVerifier, type Verifier, WebhookVerificationError } from "@hookd/receiver";
import { failureDecider, parseFailureMode } from "./failure-mode.ts";

/** Reads the settings; a bad one ends the process with a message, before anything listens. */
function settings() {
  const setting = <T>(name: string, read: () => T): T => {
    try {
      return read();
    } catch (err) {
      throw new Error(`${name}: ${(err as Error).message}`);
    }
  };
  try {
    const port = Number(process.env.PORT ?? 9000);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error("PORT must be a port number (0: any free one)");
    const failStatus = Number(process.env.FAIL_STATUS ?? 500);
    if (!Number.isInteger(failStatus) || failStatus < 200 || failStatus > 599) throw new Error("FAIL_STATUS must be 200-599");
    const secret = process.env.WEBHOOK_SECRET || undefined;
    const publicKey = process.env.WEBHOOK_PUBLIC_KEY || undefined;
    // Each key is checked on its own first, so a mistake names the setting it is in.
    if (secret) setting("WEBHOOK_SECRET", () => createVerifier({ secret }));
    if (publicKey) setting("WEBHOOK_PUBLIC_KEY", () => createVerifier({ publicKey }));
    const verifier = secret || publicKey ? createVerifier({ secret, publicKey }) : null;
    const fail = process.env.FAIL ?? "";
    return { port, failStatus, verifier, secret, publicKey, fail, fails: failureDecider(parseFailureMode(fail)) };
  } catch (err) {
    console.error(`receiver: ${(err as Error).message}`);
    process.exit(2);
  }
}

const { port, failStatus, verifier, secret, publicKey, fail, fails } = settings();

/**
 * "unchecked" when no key is set, "valid" for a genuine, fresh delivery under a configured key, otherwise the
 * library's reason (INVALID_SIGNATURE, TIMESTAMP_TOO_OLD, ...).
 */
function check(v: Verifier | null, req: IncomingMessage, body: Buffer): string {
  if (!v) return "unchecked";
  try {
    v.verify(body, req.headers);
    return "valid";
  } catch (err) {
    if (!(err instanceof WebhookVerificationError)) throw err;
    // A body that is not JSON still carries a valid signature: this receiver only prints what it got.
    return err.code === "INVALID_PAYLOAD" ? "valid" : err.code;
  }
}

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on("data", (c: Buffer) => chunks.push(c));
  req.on("end", () => {
    // Verify the raw bytes as received: a body parsed and re-serialised no longer matches its signature.
    const body = Buffer.concat(chunks);
    const id = String(req.headers["webhook-id"] ?? "");
    const outcome = check(verifier, req, body);
    let status = 204;
    let why = "";
    if (outcome !== "valid" && outcome !== "unchecked") {
      status = 401;
      why = `invalid signature (${outcome})`;
    } else if (fails(id)) {
      status = failStatus;
      why = `failing on purpose (FAIL=${fail})`;
    }
    const signature = outcome === "unchecked" || outcome === "valid" ? outcome : "INVALID";
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
