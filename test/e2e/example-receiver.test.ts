/**
 * The README's example receiver (examples/receiver.ts, verifying with the receiver library) as a newcomer runs it: a real process on a free port, with a
 * real hookd delivering to it. Each mode must do what the walk-through says: valid signatures accepted and printed
 * `signature=valid`, a wrong secret or public key refused with 401, the failure mode making hookd retry until the
 * delivery is dead (or succeeds after `first:N`), and Ed25519 endpoints verified with their `whpk_` key. The store
 * plays no part in what is checked here, so one store (SQLite) is enough.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { ed25519PublicKey, generateEd25519Secret } from "../../src/signing/ed25519.ts";
import { generateSecret } from "../../src/signing/secret.ts";
import { eventually, type Json, useHookd } from "./harness.ts";

const RECEIVER = fileURLToPath(new URL("../../examples/receiver.ts", import.meta.url));
const running: ChildProcess[] = [];

interface ExampleReceiver {
  url: string;
  output: () => string;
  /** Resolves to the exit code (for a receiver that must refuse to start). */
  exited: Promise<number | null>;
}

function spawnReceiver(env: Record<string, string>): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, ["--import", import.meta.resolve("tsx"), RECEIVER], {
    env: { PATH: process.env.PATH ?? "", PORT: "0", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  running.push(child);
  let out = "";
  child.stdout?.on("data", (c: Buffer) => (out += c.toString()));
  child.stderr?.on("data", (c: Buffer) => (out += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return { child, output: () => out, exited };
}

async function startReceiver(env: Record<string, string>): Promise<ExampleReceiver> {
  const { output, exited } = spawnReceiver(env);
  let gone = false;
  void exited.then(() => (gone = true));
  const url = await eventually(() => {
    if (gone) throw new Error(`the receiver exited:\n${output()}`);
    const m = /receiver listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output());
    if (!m) throw new Error(`the receiver has not started:\n${output()}`);
    return m[1]!;
  }, 20_000);
  return { url, output, exited };
}

afterEach(async () => {
  for (const child of running.splice(0)) {
    if (child.exitCode === null && child.signalCode === null) {
      const gone = new Promise((resolve) => child.on("exit", resolve));
      child.kill("SIGTERM");
      await gone;
    }
  }
});

/** The receiver's printed lines for one webhook-id. */
const linesOf = (r: ExampleReceiver, id: string) => r.output().split("\n").filter((l) => l.includes(`webhook-id=${id} `));

const statuses = (d: Json) => (d.attempts as Json[]).map((a) => a.status_code);

describe("the example receiver", () => {
  const h = useHookd("sqlite");

  async function deliverTo(receiver: ExampleReceiver, endpoint: Json = {}) {
    const tenant = await h.tenant();
    const ep = await h.api.createEndpoint(tenant, { url: `${receiver.url}/webhooks`, ...endpoint });
    const event = await h.api.publish(tenant, { type: "invoice.paid", data: { invoice: "in_1001", amount: 4200 } });
    const delivery = await h.api.onlyDeliveryOf(tenant, event.id);
    const done = await h.api.waitForDelivery(tenant, delivery.id, (d) => d.status === "succeeded" || d.status === "dead");
    return { tenant, ep, event, done };
  }

  it("accepts an HMAC-signed delivery under the endpoint's secret and prints signature=valid", async () => {
    const secret = generateSecret();
    const receiver = await startReceiver({ WEBHOOK_SECRET: secret });
    const { event, done } = await deliverTo(receiver, { secret });
    expect(done.status).toBe("succeeded");
    expect(statuses(done)).toEqual([204]);
    const lines = await eventually(() => {
      const l = linesOf(receiver, event.id);
      expect(l).toHaveLength(1);
      return l;
    });
    expect(lines[0]).toMatch(/ POST \/webhooks webhook-id=evt_\S+ attempt=1 signature=valid -> 204$/);
    // The raw body is printed under its line.
    expect(receiver.output()).toContain(`"id":"${event.id}","type":"invoice.paid"`);
  });

  it("refuses a delivery signed with another secret with 401, which hookd treats as final", async () => {
    const receiver = await startReceiver({ WEBHOOK_SECRET: generateSecret() });
    const { event, done } = await deliverTo(receiver, { secret: generateSecret() });
    expect(done.status).toBe("dead");
    expect(statuses(done)).toEqual([401]);
    expect(done.attempts[0]).toMatchObject({ response_body: "invalid signature (INVALID_SIGNATURE)" });
    expect(linesOf(receiver, event.id)).toEqual([expect.stringMatching(/ signature=INVALID -> 401 invalid signature \(INVALID_SIGNATURE\)$/)]);
  });

  it("FAIL=always answers 500 to every attempt, so hookd retries on a short schedule and the delivery ends dead", async () => {
    const secret = generateSecret();
    const receiver = await startReceiver({ WEBHOOK_SECRET: secret, FAIL: "always" });
    const { tenant, event, done } = await deliverTo(receiver, { secret, retry_schedule_s: [0, 1, 1] });
    expect(done.status).toBe("dead");
    expect(statuses(done)).toEqual([500, 500, 500]);
    expect(done.attempts.map((a: Json) => a.outcome)).toEqual(["retry", "retry", "retry"]);
    expect(done.attempts[0]).toMatchObject({ response_body: "failing on purpose (FAIL=always)" });
    const dead = await h.api.deliveriesOf(tenant, { status: "dead" });
    expect(dead.map((d) => d.id)).toEqual([done.id]);
    // The signature was still checked and valid: the failure is the receiver's choice, printed on every attempt.
    const lines = linesOf(receiver, event.id);
    expect(lines).toHaveLength(3);
    lines.forEach((line, i) =>
      expect(line).toMatch(new RegExp(` attempt=${i + 1} signature=valid -> 500 failing on purpose \\(FAIL=always\\)$`)),
    );
  });

  it("FAIL=first:2 with FAIL_STATUS=503 fails the first two attempts of each event, then accepts", async () => {
    const receiver = await startReceiver({ FAIL: "first:2", FAIL_STATUS: "503" });
    const { event, done } = await deliverTo(receiver, { retry_schedule_s: [0, 1, 1] });
    expect(done.status).toBe("succeeded");
    expect(statuses(done)).toEqual([503, 503, 204]);
    const lines = linesOf(receiver, event.id);
    expect(lines.map((l) => / -> (\d+)/.exec(l)?.[1])).toEqual(["503", "503", "204"]);
    // Without WEBHOOK_SECRET or WEBHOOK_PUBLIC_KEY nothing is verified, and it says so.
    expect(lines.every((l) => l.includes(" signature=unchecked "))).toBe(true);
  });

  it("verifies Ed25519 (v1a) deliveries with the endpoint's whpk_ public key, and refuses another key", async () => {
    // The receiver's key must be known before it starts, and the endpoint needs the receiver's URL: hookd takes a
    // whsk_ signing secret chosen by the caller and shows the matching public key on the endpoint.
    const signingSecret = generateEd25519Secret();
    const good = await startReceiver({ WEBHOOK_PUBLIC_KEY: ed25519PublicKey(signingSecret) });
    const { ep, event, done } = await deliverTo(good, { signature_scheme: "ed25519", secret: signingSecret });
    expect(ep.public_key).toBe(ed25519PublicKey(signingSecret));
    expect(done.status).toBe("succeeded");
    expect(statuses(done)).toEqual([204]);
    expect(linesOf(good, event.id)).toEqual([expect.stringMatching(/ attempt=1 signature=valid -> 204$/)]);

    const bad = await startReceiver({ WEBHOOK_PUBLIC_KEY: ed25519PublicKey(generateEd25519Secret()) });
    const refused = await deliverTo(bad, { signature_scheme: "ed25519", secret: signingSecret });
    expect(refused.done.status).toBe("dead");
    expect(statuses(refused.done)).toEqual([401]);
    expect(linesOf(bad, refused.event.id)).toEqual([expect.stringMatching(/ signature=INVALID -> 401 invalid signature \(INVALID_SIGNATURE\)$/)]);
  });

  it("refuses to start on a malformed key or failure mode, saying which setting is wrong", async () => {
    for (const [env, message] of [
      [{ FAIL: "sometimes" }, "FAIL must be always, first:N or rate:P"],
      [{ FAIL: "rate:1.5" }, "FAIL must be always, first:N or rate:P"],
      [{ WEBHOOK_SECRET: "not-a-secret" }, 'WEBHOOK_SECRET: a webhook secret ("whsec_..." as the sender shows it) must be standard base64'],
      [{ WEBHOOK_PUBLIC_KEY: "whpk_short" }, 'WEBHOOK_PUBLIC_KEY: a webhook public key ("whpk_...") must be standard base64'],
      [{ WEBHOOK_PUBLIC_KEY: `whpk_${Buffer.alloc(16).toString("base64")}` }, "WEBHOOK_PUBLIC_KEY: a webhook public key must hold 32 bytes"],
      [{ FAIL_STATUS: "99" }, "FAIL_STATUS must be 200-599"],
    ] as const) {
      const r = spawnReceiver(env);
      expect(await r.exited, r.output()).toBe(2);
      expect(r.output()).toContain(message);
      expect(r.output()).not.toContain("listening");
    }
  });
});
