/**
 * The tenant portal in a real browser (Debian's Chromium), against a real hookd and real receivers: open a portal
 * link, create an endpoint pointing at a receiver, send a test event and see it delivered, make the receiver fail and
 * read the failed attempt with its answer, replay it and see it succeed, rotate the secret, recover dead deliveries
 * and watch the task finish, follow the live tail, and use the keyboard and a 390 px screen. Screenshots of each page
 * go to test-results/screenshots/.
 */
import { Webhook } from "standardwebhooks";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { useHookd, type Json, webhookHeaders } from "../e2e/harness.ts";
import { answer } from "../support/receiver.ts";
import { fitsViewport, type InPage, launchBrowser, openPage, screenshot, type WatchedPage } from "../support/browser.ts";

describe("tenant portal in the browser", () => {
  const h = useHookd("sqlite");
  let browser: Browser;

  beforeAll(async () => {
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
  });

  async function tenantWithCatalogue(): Promise<{ tenantId: string; key: string }> {
    const tenantId = await h.tenant();
    await h.api.patch(`/v1/tenants/${tenantId}`, { name: "Acme Inc" });
    const key = (await h.api.expectPost(`/v1/tenants/${tenantId}/api-keys`, {}, 201)).key as string;
    await h.api.expectPost(
      `/v1/tenants/${tenantId}/event-types`,
      {
        name: "invoice.paid",
        description: "An invoice was paid in full.",
        schema: {
          type: "object",
          properties: { invoice: { type: "string" }, amount: { type: "integer" } },
          required: ["invoice", "amount"],
          examples: [{ invoice: "in_1001", amount: 4200 }],
        },
      },
      201,
      { key },
    );
    return { tenantId, key };
  }

  async function openPortal(tenantId: string, key: string, body: Json = {}, width = 1280): Promise<WatchedPage> {
    const created = await h.api.expectPost(`/v1/tenants/${tenantId}/portal-sessions`, body, 201, { key });
    const w = await openPage(browser, width);
    await w.page.goto(created.url);
    await w.page.getByRole("heading", { name: "Endpoints", level: 1 }).waitFor();
    return w;
  }

  const status = (page: Page) => page.getByRole("status");

  it("walks a developer from a portal link through create, test, failure, replay, rotation and recover", async () => {
    const { tenantId, key } = await tenantWithCatalogue();
    const receiver = await h.receiver(answer(200, {}, "ok"));
    const { page, problems } = await openPortal(tenantId, key);

    // The one-time token left the address bar as soon as the page read it.
    expect(page.url()).not.toContain("token=");
    expect(page.url()).toMatch(/#\/endpoints$/);
    await page.getByText("Acme Inc · Webhooks").waitFor();
    await page.getByRole("link", { name: "Create endpoint" }).click();
    await page.getByLabel("URL").fill(`${receiver.url}/hooks`);
    await page.getByLabel("Description").fill("Billing receiver");
    await page.getByRole("checkbox", { name: "invoice.paid" }).check();
    await page.getByLabel("Retry schedule (seconds)").fill("0");
    await page.getByRole("button", { name: "Create endpoint" }).click();
    await page.getByRole("heading", { name: `${receiver.url}/hooks`, level: 1 }).waitFor();
    const endpointId = /#\/endpoints\/(ep_[A-Z0-9]+)/.exec(page.url())?.[1];
    expect(endpointId).toBeDefined();
    const stored = await h.api.expectGet(`/v1/tenants/${tenantId}/endpoints/${endpointId}`);
    expect(stored).toMatchObject({ description: "Billing receiver", event_types: ["invoice.paid"], retry_schedule_s: [0] });

    // Send test event: the catalogue's example is the default data, and it arrives signed.
    await page.getByLabel("Event type", { exact: true }).selectOption("invoice.paid");
    expect(JSON.parse(await page.getByLabel("Data (JSON)").inputValue())).toEqual({ invoice: "in_1001", amount: 4200 });
    await page.getByRole("button", { name: "Send test event" }).click();
    await status(page).filter({ hasText: "Delivered (200)" }).waitFor();
    expect(receiver.received).toHaveLength(1);
    const secret = (await h.api.get(`/v1/tenants/${tenantId}/endpoints/${endpointId}/secret`, { key })).body.secret as string;
    const verified = new Webhook(secret).verify(receiver.received[0]!.body, webhookHeaders(receiver.received[0]!.headers)) as Json;
    expect(verified).toMatchObject({ type: "invoice.paid", data: { invoice: "in_1001", amount: 4200 } });
    await screenshot(page, "portal-endpoint-detail");

    // The receiver fails: the attempt is shown with its status, headers and body.
    receiver.handler = answer(503, { "retry-after": "120", "x-request-id": "req-42" }, '{"error":"maintenance"}');
    await page.getByRole("button", { name: "Send test event" }).click();
    await status(page).filter({ hasText: "Failed for good (503)" }).waitFor();
    await status(page).getByRole("link").click();
    await page.getByRole("heading", { name: /^Delivery dlv_/, level: 1 }).waitFor();
    const attempt = page.getByRole("article", { name: "Attempt 1" });
    await attempt.getByRole("heading", { name: "Attempt 1: failed with HTTP 503" }).waitFor();
    await expect(attempt.getByLabel("Attempt 1 response body").textContent()).resolves.toBe('{"error":"maintenance"}');
    await expect(attempt.getByLabel("Attempt 1 response headers").textContent()).resolves.toContain("req-42");
    const sentHeaders = (await page.getByLabel("Request headers").textContent()) ?? "";
    expect(sentHeaders).toContain("webhook-signature");
    expect(sentHeaders).toContain("[redacted]");
    expect(sentHeaders).not.toMatch(/v1,[A-Za-z0-9+/]{20}/);
    await screenshot(page, "portal-delivery-failed");

    // Replay once the receiver is back: a second attempt succeeds.
    receiver.handler = answer(200, {}, "ok");
    await page.getByRole("button", { name: "Replay" }).click();
    await page.getByRole("heading", { name: "Attempt 2: succeeded with HTTP 200" }).waitFor({ timeout: 15_000 });
    expect(receiver.received).toHaveLength(3);

    // Rotate the secret with an hour's overlap; revealing it afterwards shows the new one.
    await page.goto(`${h.app.url}/portal/t/${tenantId}/#/endpoints/${endpointId}`);
    await page.getByLabel("Keep signing with the old secret for").selectOption("3600");
    await page.getByRole("button", { name: "Rotate secret" }).click();
    const rotated = (await page.getByLabel("New signing secret").textContent()) ?? "";
    expect(rotated).toMatch(/^whsec_/);
    expect(rotated).not.toBe(secret);
    await page.getByRole("button", { name: "Reveal secret" }).click();
    await expect(page.getByLabel("Current signing secret").textContent()).resolves.toBe(rotated);

    // Edit: the form comes back filled in; a changed description and a new header are saved.
    await page.getByRole("link", { name: "Edit" }).click();
    await page.getByRole("heading", { name: "Edit endpoint", level: 1 }).waitFor();
    expect(await page.getByLabel("Retry schedule (seconds)").inputValue()).toBe("0");
    expect(await page.getByRole("checkbox", { name: "invoice.paid" }).isChecked()).toBe(true);
    await page.getByLabel("Description").fill("Billing receiver v2");
    await page.getByRole("button", { name: "Add header" }).click();
    await page.getByLabel("Header 1 name").fill("x-team");
    await page.getByLabel("Header 1 value").fill("billing");
    await page.getByRole("button", { name: "Save endpoint" }).click();
    await page.getByRole("heading", { name: "Performance" }).waitFor();
    // Header values are stored encrypted and read back masked; the reveal route shows the value saved.
    expect(await h.api.expectGet(`/v1/tenants/${tenantId}/endpoints/${endpointId}`)).toMatchObject({
      description: "Billing receiver v2",
      headers: { "x-team": "[redacted]" },
      event_types: ["invoice.paid"],
      retry_schedule_s: [0],
    });
    const revealed = () => h.api.expectGet(`/v1/tenants/${tenantId}/endpoints/${endpointId}/headers`);
    expect(await revealed()).toEqual({ headers: { "x-team": "billing" } });
    // Editing again without touching the header sends the mask back, which keeps the value (not "[redacted]").
    await page.getByRole("link", { name: "Edit" }).click();
    await page.getByRole("heading", { name: "Edit endpoint", level: 1 }).waitFor();
    await page.getByLabel("Description").fill("Billing receiver v3");
    await page.getByRole("button", { name: "Save endpoint" }).click();
    await page.getByRole("heading", { name: "Performance" }).waitFor();
    expect((await h.api.expectGet(`/v1/tenants/${tenantId}/endpoints/${endpointId}`)).description).toBe("Billing receiver v3");
    expect(await revealed()).toEqual({ headers: { "x-team": "billing" } });

    // Recover: two deliveries die while the receiver is down; a recover since then brings both back.
    receiver.handler = answer(500);
    const dead: string[] = [];
    for (let i = 0; i < 2; i++) {
      const sent = await h.api.expectPost(`/v1/tenants/${tenantId}/endpoints/${endpointId}/test`, {}, 202, { key });
      dead.push(sent.delivery_id);
      await h.api.waitForDelivery(tenantId, sent.delivery_id, (d) => d.status === "dead");
    }
    receiver.handler = answer(200);
    const before = receiver.received.length;
    await page.getByRole("button", { name: "Recover" }).click();
    await status(page).filter({ hasText: /Recover finished: 2 of 2 looked at, 2 requeued, 0 skipped/ }).waitFor({ timeout: 15_000 });
    for (const id of dead) await h.api.waitForDelivery(tenantId, id, (d) => d.status === "succeeded");
    expect(receiver.received.length).toBe(before + 2);
    expect(problems).toEqual([]);
    await page.close();
  }, 60_000);

  it("edits an endpoint's payload filter and payload mode; a bad filter shows the clause the API refused", async () => {
    const { tenantId, key } = await tenantWithCatalogue();
    const receiver = await h.receiver(answer(200));
    const ep = await h.api.createEndpoint(tenantId, { url: receiver.url, event_types: ["invoice.paid"] });
    const { page, problems } = await openPortal(tenantId, key);
    await page.goto(`${page.url().split("#")[0]}#/endpoints/${ep.id}/edit`);
    await page.getByRole("heading", { name: "Edit endpoint", level: 1 }).waitFor();

    const filter = page.getByLabel("Payload filter (JSON)");
    await filter.fill("{ not json");
    await page.getByRole("button", { name: "Save endpoint" }).click();
    await page.getByRole("alert").filter({ hasText: "The payload filter is not valid JSON." }).waitFor();
    await filter.fill('{"data": {"amount": {"$gte": true}}}');
    await page.getByRole("button", { name: "Save endpoint" }).click();
    // The API's message names the bad clause by its JSON pointer.
    await page.getByRole("alert").filter({ hasText: "/data/amount/$gte" }).waitFor();
    expect((await h.api.expectGet(`/v1/tenants/${tenantId}/endpoints/${ep.id}`)).filter).toBeNull();

    await filter.fill('{"data": {"amount": {"$gte": 1000}}}');
    await page.getByLabel("Payload", { exact: true }).selectOption("thin");
    await page.getByRole("button", { name: "Save endpoint" }).click();
    await page.getByRole("heading", { name: receiver.url, level: 1 }).waitFor();
    expect(await h.api.expectGet(`/v1/tenants/${tenantId}/endpoints/${ep.id}`)).toMatchObject({
      filter: { data: { amount: { $gte: 1000 } } },
      payload_mode: "thin",
    });
    // The saved filter decides fan-out: a small invoice matches no endpoint, a large one this one.
    expect((await h.api.publish(tenantId, { type: "invoice.paid", data: { invoice: "in_1", amount: 10 } })).matched_endpoints).toBe(0);
    expect((await h.api.publish(tenantId, { type: "invoice.paid", data: { invoice: "in_2", amount: 5000 } })).matched_endpoints).toBe(1);

    // Reopened, the form shows what is saved; emptying the filter removes it.
    await page.goto(`${page.url().split("#")[0]}#/endpoints/${ep.id}/edit`);
    await page.getByRole("heading", { name: "Edit endpoint", level: 1 }).waitFor();
    expect(JSON.parse(await filter.inputValue())).toEqual({ data: { amount: { $gte: 1000 } } });
    expect(await page.getByLabel("Payload", { exact: true }).inputValue()).toBe("thin");
    await filter.fill("");
    await page.getByRole("button", { name: "Save endpoint" }).click();
    await page.getByRole("heading", { name: receiver.url, level: 1 }).waitFor();
    expect((await h.api.expectGet(`/v1/tenants/${tenantId}/endpoints/${ep.id}`)).filter).toBeNull();
    expect(problems).toEqual([]);
    await page.close();
  }, 40_000);

  it("makes an endpoint FIFO with halting, shows a halted key, and skips or replays it", async () => {
    const { tenantId, key } = await tenantWithCatalogue();
    // n = 1 of each key is refused (400: dead at once) while `refuse` holds.
    let refuse = true;
    const receiver = await h.receiver((req, res) => {
      res.writeHead(refuse && (JSON.parse(req.body) as Json).data.n === 1 ? 400 : 204);
      res.end();
    });
    const ep = await h.api.createEndpoint(tenantId, { url: receiver.url, event_types: ["order.*"] });
    const { page, problems } = await openPortal(tenantId, key);
    const base = page.url().split("#")[0];
    await page.goto(`${base}#/endpoints/${ep.id}/edit`);
    await page.getByRole("heading", { name: "Edit endpoint", level: 1 }).waitFor();
    // The dead-delivery choice only applies to an ordered endpoint.
    expect(await page.getByLabel("When a delivery fails for good").isDisabled()).toBe(true);
    await page.getByLabel("Order", { exact: true }).selectOption("fifo");
    await page.getByLabel("When a delivery fails for good").selectOption("halt");
    await page.getByRole("button", { name: "Save endpoint" }).click();
    await page.getByRole("heading", { name: receiver.url, level: 1 }).waitFor();
    expect(await h.api.expectGet(`/v1/tenants/${tenantId}/endpoints/${ep.id}`)).toMatchObject({ ordering: "fifo", fifo_on_dead: "halt" });
    await page.getByText("No key is halted.").waitFor();

    for (const k of ["a-1", "b-2"]) {
      for (let n = 0; n < 3; n++) await h.api.publish(tenantId, { type: "order.updated", data: { key: k, n }, ordering_key: k });
    }
    const keys = page.getByRole("region", { name: "Halted keys" });
    // The page refreshes on its own (every 10 s); both keys halt at their second event.
    await keys.getByRole("row", { name: /a-1/ }).waitFor({ timeout: 20_000 });
    await keys.getByRole("row", { name: /b-2/ }).waitFor({ timeout: 20_000 });
    await screenshot(page, "portal-halted-keys");
    const sent = (k: string) => receiver.received.map((r) => (JSON.parse(r.body) as Json).data).filter((d) => d.key === k).map((d) => d.n as number);
    expect(sent("a-1")).toEqual([0, 1]);

    // Skip asks first; cancelling changes nothing.
    await page.getByRole("button", { name: "Skip the dead delivery of a-1" }).click();
    await page.getByRole("dialog", { name: "Skip the dead delivery" }).getByRole("button", { name: "Cancel" }).click();
    expect((await h.api.expectGet(`/v1/tenants/${tenantId}/endpoints/${ep.id}/halted-keys`)).data).toHaveLength(2);
    await page.getByRole("button", { name: "Skip the dead delivery of a-1" }).click();
    await page.getByRole("dialog", { name: "Skip the dead delivery" }).getByRole("button", { name: "Skip it" }).click();
    await status(page).filter({ hasText: "a-1: skipped the dead delivery" }).waitFor();
    await expect.poll(() => sent("a-1"), { timeout: 15_000 }).toEqual([0, 1, 2]);

    refuse = false;
    await page.getByRole("button", { name: "Replay the dead delivery of b-2" }).click();
    await status(page).filter({ hasText: "b-2: replaying the dead delivery first" }).waitFor();
    await expect.poll(() => sent("b-2"), { timeout: 15_000 }).toEqual([0, 1, 1, 2]);
    await page.getByText("No key is halted.").waitFor();
    expect((await h.api.expectGet(`/v1/tenants/${tenantId}/endpoints/${ep.id}/halted-keys`)).data).toEqual([]);
    expect(problems).toEqual([]);
    await page.close();
  }, 90_000);

  it("filters the delivery log, tails it live, and shows the catalogue", async () => {
    const { tenantId, key } = await tenantWithCatalogue();
    const receiver = await h.receiver(answer(200));
    const ep = await h.api.createEndpoint(tenantId, { url: receiver.url, event_types: ["*"] });
    const ev = await h.api.publish(tenantId, { type: "invoice.paid", data: { invoice: "in_1", amount: 1 } });
    await h.api.waitForDelivery(tenantId, (await h.api.onlyDeliveryOf(tenantId, ev.id)).id, (d) => d.status === "succeeded");
    const { page, problems } = await openPortal(tenantId, key);

    await page.getByRole("link", { name: "Deliveries" }).click();
    const log = page.getByRole("region", { name: "Deliveries" });
    await log.getByRole("row").nth(1).waitFor();
    expect(await log.getByRole("row").count()).toBe(2);
    // A filter that matches nothing, then back.
    await page.getByLabel("Status").selectOption("dead");
    await page.getByRole("button", { name: "Apply filters" }).click();
    await page.getByText("No deliveries match.").waitFor();
    expect(page.url()).toContain("status=dead");
    await page.getByLabel("Status").selectOption("");
    await page.getByLabel("Endpoint").selectOption(ep.id);
    await page.getByRole("button", { name: "Apply filters" }).click();
    await log.getByRole("row").nth(1).waitFor();

    // Live tail: an event published now appears without a reload.
    await page.getByRole("checkbox", { name: "Live tail" }).check();
    const fresh = await h.api.publish(tenantId, { type: "invoice.voided", data: { n: 2 } });
    const freshDelivery = await h.api.onlyDeliveryOf(tenantId, fresh.id);
    await log.getByRole("link", { name: freshDelivery.id }).waitFor();
    await screenshot(page, "portal-delivery-log");

    await page.getByRole("link", { name: "Event catalogue" }).click();
    await page.getByRole("heading", { name: "invoice.paid", level: 2 }).waitFor();
    await expect(page.getByLabel("invoice.paid example").textContent()).resolves.toContain('"in_1001"');
    await screenshot(page, "portal-catalogue");
    expect(problems).toEqual([]);
    await page.close();
  }, 40_000);

  it("works with the keyboard alone and at 390 px wide", async () => {
    const { tenantId, key } = await tenantWithCatalogue();
    const receiver = await h.receiver(answer(200));
    const ep = await h.api.createEndpoint(tenantId, { url: `${receiver.url}/a-rather-long-path/that/would/overflow/a/phone/screen`, event_types: ["*"] });
    const { page, problems } = await openPortal(tenantId, key, {}, 390);
    expect(await fitsViewport(page)).toBe(true);
    await screenshot(page, "portal-endpoints-390");

    // Tab from the top of the page to the endpoint's link and open it with Enter.
    const link = page.getByRole("link", { name: ep.url });
    for (let i = 0; i < 20 && !(await link.evaluate((el) => el === (globalThis as unknown as InPage).document.activeElement)); i++) await page.keyboard.press("Tab");
    expect(await link.evaluate((el) => el === (globalThis as unknown as InPage).document.activeElement)).toBe(true);
    await page.keyboard.press("Enter");
    await page.getByRole("heading", { name: ep.url, level: 1 }).waitFor();
    expect(await fitsViewport(page)).toBe(true);
    await screenshot(page, "portal-endpoint-390");

    // Delete asks first: Escape cancels; Enter on the dialog's button deletes.
    await page.getByRole("button", { name: "Delete", exact: true }).focus();
    await page.keyboard.press("Enter");
    const dialog = page.getByRole("dialog", { name: "Delete endpoint" });
    await dialog.waitFor();
    await page.keyboard.press("Escape");
    await dialog.waitFor({ state: "hidden" });
    expect((await h.api.get(`/v1/tenants/${tenantId}/endpoints/${ep.id}`)).status).toBe(200);
    await page.getByRole("button", { name: "Delete", exact: true }).focus();
    await page.keyboard.press("Enter");
    await dialog.getByRole("button", { name: "Delete endpoint" }).focus();
    await page.keyboard.press("Enter");
    await page.getByText("No endpoints yet.").waitFor();
    expect((await h.api.get(`/v1/tenants/${tenantId}/endpoints/${ep.id}`)).status).toBe(404);
    expect(problems).toEqual([]);
    await page.close();
  }, 40_000);
});
