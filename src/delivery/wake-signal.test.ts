import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { WakeSignal } from "./wake-signal.ts";

/** Resolves to true when `p` has settled by the time pending microtasks have run. */
async function isSettled(p: Promise<unknown>): Promise<boolean> {
  let settled = false;
  void p.then(() => {
    settled = true;
  });
  // Several turns so chained thens get a chance to run.
  for (let i = 0; i < 5; i++) await Promise.resolve();
  return settled;
}

describe("WakeSignal", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  it("a notify() before wait() is kept: the next wait resolves without any time passing", async () => {
    const signal = new WakeSignal();
    signal.notify();
    expect(await isSettled(signal.wait(60_000))).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("a kept notification is consumed by one wait only", async () => {
    const signal = new WakeSignal();
    signal.notify();
    signal.notify();
    await signal.wait(60_000);
    expect(await isSettled(signal.wait(60_000))).toBe(false);
  });

  it("wait() resolves when notify() is called, long before its timeout", async () => {
    const signal = new WakeSignal();
    const waiting = signal.wait(60_000);
    expect(await isSettled(waiting)).toBe(false);
    signal.notify();
    expect(await isSettled(waiting)).toBe(true);
    // The timeout timer is cleared, and the notification was delivered, not stored for later.
    expect(vi.getTimerCount()).toBe(0);
    expect(await isSettled(signal.wait(60_000))).toBe(false);
  });

  it("wait() resolves after its timeout when nobody notifies", async () => {
    const signal = new WakeSignal();
    const waiting = signal.wait(1_000);
    await vi.advanceTimersByTimeAsync(999);
    expect(await isSettled(waiting)).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(await isSettled(waiting)).toBe(true);
  });

  it("a notify() after a wait timed out is kept for the next wait", async () => {
    const signal = new WakeSignal();
    const waiting = signal.wait(100);
    await vi.advanceTimersByTimeAsync(100);
    await waiting;
    signal.notify();
    expect(await isSettled(signal.wait(60_000))).toBe(true);
  });
});
