import { describe, expect, it } from "vitest";
import { estimatedDrainSeconds, Metrics } from "./metrics.ts";

describe("estimatedDrainSeconds", () => {
  it("divides the due and in-flight backlog by the last minute's rate", () => {
    expect(estimatedDrainSeconds({ due: 120, inFlight: 0, attemptsLastMinute: 60 })).toBe(120);
    expect(estimatedDrainSeconds({ due: 90, inFlight: 30, attemptsLastMinute: 600 })).toBe(12);
  });
  it("is 0 with nothing waiting and +Inf when work waits but nothing moved", () => {
    expect(estimatedDrainSeconds({ due: 0, inFlight: 0, attemptsLastMinute: 0 })).toBe(0);
    expect(estimatedDrainSeconds({ due: 5, inFlight: 0, attemptsLastMinute: 0 })).toBe(Number.POSITIVE_INFINITY);
  });
});

describe("Metrics", () => {
  const stats = { due: 4, scheduled: 2, inFlight: 1, oldestDueAt: 10_000, dead: 3, attemptsLastMinute: 0 };

  it("keeps each instance's registry separate and reads the store once per scrape", async () => {
    let reads = 0;
    const a = new Metrics({ tenantLabels: false, queueStats: async () => (reads++, stats), now: () => 40_000 });
    const b = new Metrics({ tenantLabels: false, queueStats: null });
    a.eventsAccepted("t1", 2);
    const text = (await a.render()).body;
    expect(reads).toBe(1);
    expect(text).toContain("hookd_events_ingested_total 2");
    expect(text).toContain('hookd_queue_depth{state="due"} 4');
    expect(text).toContain("hookd_oldest_due_age_seconds 30");
    expect(text).toContain("hookd_dead_deliveries 3");
    expect(text).toContain("hookd_estimated_drain_seconds +Inf");
    expect((await b.render()).body).toContain("hookd_events_ingested_total 0");
  });

  it("reports breaker states once a source is plugged in", async () => {
    const m = new Metrics({ tenantLabels: false, queueStats: null });
    expect((await m.render()).body).not.toContain("hookd_breaker_endpoints{");
    m.setBreakerSource(async () => [
      { state: "open", count: 2 },
      { state: "closed", count: 7 },
    ]);
    const text = (await m.render()).body;
    expect(text).toContain('hookd_breaker_endpoints{state="open"} 2');
    expect(text).toContain('hookd_breaker_endpoints{state="closed"} 7');
  });
});
