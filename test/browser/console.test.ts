/**
 * The operator console in a real browser: `/` leads to it, a wrong admin key is refused, the right one shows system
 * health with the real queue and breaker figures, the tenant heatmap (one row a tenant, cells coloured by success
 * rate, queue depth beside it) pages through tenants, the operational-events feed shows what happened, and "Open
 * portal" opens any tenant's portal in a new tab. Checked at 1280 px and at 390 px.
 */
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_KEY, useHookd } from "../e2e/harness.ts";
import { answer } from "../support/receiver.ts";
import { fitsViewport, type InPage, launchBrowser, openPage, screenshot, watch } from "../support/browser.ts";

describe("operator console in the browser", () => {
  const h = useHookd("sqlite", { breakerMinAttempts: 2, breakerFailurePercent: 50, retryScheduleS: [0] });
  let browser: Browser;

  beforeAll(async () => {
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it("signs in with the admin key and shows health, the heatmap, the feed and a way into a tenant's portal", async () => {
    // A healthy tenant and a failing one (its breaker opens, its deliveries die).
    const healthy = (await h.api.createTenant({ id: "healthy-co", name: "Healthy Co" })).id as string;
    const failing = (await h.api.createTenant({ id: "failing-co", name: "Failing Co" })).id as string;
    const ok = await h.receiver(answer(200));
    const broken = await h.receiver(answer(500));
    await h.api.createEndpoint(healthy, { url: ok.url });
    const bad = await h.api.createEndpoint(failing, { url: broken.url });
    for (let i = 0; i < 4; i++) {
      const a = await h.api.publish(healthy, { type: "a.b", data: { i } });
      await h.api.waitForDelivery(healthy, (await h.api.onlyDeliveryOf(healthy, a.id)).id, (d) => d.status === "succeeded");
    }
    // Two failures in the window open the failing endpoint's breaker (HOOKD_BREAKER_MIN_ATTEMPTS=2 here).
    for (let i = 0; i < 2; i++) {
      const b = await h.api.publish(failing, { type: "a.b", data: { i } });
      await h.api.waitForDelivery(failing, (await h.api.onlyDeliveryOf(failing, b.id)).id, (d) => d.status === "dead");
    }
    const health = await h.api.expectGet("/v1/console/health");
    expect(health.breakers.open).toBe(1);
    expect(health.queue.dead).toEqual({ value: 2, capped: false });

    const { page, problems } = await openPage(browser);
    await page.goto(`${h.app.url}/`);
    expect(new URL(page.url()).pathname).toBe("/console/");
    await page.getByLabel("Admin key").fill("not-the-admin-key-at-all");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("alert").filter({ hasText: "not valid" }).waitFor();
    await page.getByLabel("Admin key").fill(ADMIN_KEY);
    await page.getByRole("button", { name: "Sign in" }).click();

    const healthCard = page.getByRole("region", { name: "System health" });
    await healthCard.getByText("Dead letters").waitFor();
    const stat = (label: string) => healthCard.locator(".stat", { hasText: label }).locator(".value").textContent();
    expect(await stat("Dead letters")).toBe("2");
    expect(await stat("Open breakers")).toBe("1");
    await page.getByRole("region", { name: "Open breakers" }).getByText(bad.url).waitFor();
    const feed = page.getByRole("region", { name: "Operational events" });
    await feed.getByRole("cell", { name: "delivery.dead" }).first().waitFor();
    await screenshot(page, "console-overview");

    await page.getByRole("link", { name: "Tenants" }).click();
    const heatmap = page.getByRole("region", { name: "Tenant heatmap" });
    await heatmap.getByRole("img", { name: /^Failing Co: 0% of 2 attempts succeeded$/ }).waitFor();
    await heatmap.getByRole("img", { name: /^Healthy Co: 100% of 4 attempts succeeded$/ }).waitFor();
    const failingRow = heatmap.getByRole("row").filter({ hasText: "Failing Co" });
    expect(await failingRow.locator(".heat-bad").count()).toBeGreaterThan(0);
    expect(await heatmap.getByRole("row").filter({ hasText: "Healthy Co" }).locator(".heat-bad").count()).toBe(0);
    await screenshot(page, "console-tenants");

    // Into the failing tenant's portal, in a new tab, on a session minted with the admin key.
    const [popup] = await Promise.all([
      page.context().waitForEvent("page"),
      failingRow.getByRole("button", { name: "Open portal for Failing Co" }).click(),
    ]);
    const portal = watch(popup);
    await popup.getByText("Failing Co · Webhooks").waitFor();
    await popup.getByRole("link", { name: bad.url }).waitFor();
    expect(portal.problems).toEqual([]);
    await popup.close();
    expect(problems).toEqual([]);
    await page.close();
  }, 40_000);

  it("pages through tenants and fits a 390 px screen", async () => {
    for (let i = 0; i < 3; i++) await h.api.createTenant({ id: `page-${i}`, name: `Paged ${i}` });
    const { page, problems } = await openPage(browser, 390, 800);
    await page.goto(`${h.app.url}/console/#/tenants`);
    await page.evaluate((key) => (globalThis as unknown as InPage).sessionStorage.setItem("hookd.console.key", key), ADMIN_KEY);
    await page.reload();
    await page.getByRole("region", { name: "Tenant heatmap" }).waitFor();
    expect(await fitsViewport(page)).toBe(true);
    await screenshot(page, "console-tenants-390");
    const page1 = await h.api.expectGet("/v1/console/tenants?limit=2");
    expect(page1.data).toHaveLength(2);
    expect(page1.next_cursor).toEqual(expect.any(String));
    const page2 = await h.api.expectGet(`/v1/console/tenants?limit=2&cursor=${page1.next_cursor}`);
    expect(page2.data[0].tenant_id > page1.data[1].tenant_id).toBe(true);
    await page.getByRole("link", { name: "Overview" }).click();
    await page.getByRole("region", { name: "System health" }).getByText("Queued").waitFor();
    expect(await fitsViewport(page)).toBe(true);
    await screenshot(page, "console-overview-390");
    expect(problems).toEqual([]);
    await page.close();
  });
});
