/**
 * The portal's boundaries, seen from a real browser: hostile event data and receiver answers are shown as text
 * (no script runs, no element is injected) under a strict Content-Security-Policy; the page of tenant A's session
 * cannot reach tenant B, neither through the page nor through the API with the token the page holds; a read-only
 * session offers no control that changes anything; a revoked session and a used link are refused; frame-ancestors
 * follow the tenant's allow-list.
 */
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Json, useHookd } from "../e2e/harness.ts";
import { answer } from "../support/receiver.ts";
import { type InPage, launchBrowser, openPage, screenshot } from "../support/browser.ts";

const SCRIPT = "<script>window.__pwned = 'script'</script>";
const ATTRIBUTE = '"><img src=x onerror="window.__pwned=\'attribute\'">';

describe("portal boundaries in the browser", () => {
  const h = useHookd("sqlite");
  let browser: Browser;

  beforeAll(async () => {
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
  });

  async function portalUrl(tenantId: string, body: Json = {}): Promise<{ url: string; id: string }> {
    const created = await h.api.expectPost(`/v1/tenants/${tenantId}/portal-sessions`, body, 201);
    return { url: created.url, id: created.id };
  }

  it("renders hostile event data and receiver answers as text, and runs no script", async () => {
    const tenantId = await h.tenant();
    const receiver = await h.receiver(answer(500, { "x-evil": ATTRIBUTE }, `${SCRIPT}${ATTRIBUTE}`));
    const ep = await h.api.createEndpoint(tenantId, {
      url: receiver.url,
      description: ATTRIBUTE,
      retry_schedule_s: [0],
    });
    const ev = await h.api.publish(tenantId, { type: "evil.event", data: { note: SCRIPT, attr: ATTRIBUTE } });
    const d = await h.api.onlyDeliveryOf(tenantId, ev.id);
    await h.api.waitForDelivery(tenantId, d.id, (x) => x.status === "dead");

    const { page, problems } = await openPage(browser);
    const response = await page.goto((await portalUrl(tenantId)).url);
    const csp = response?.headers()["content-security-policy"] ?? "";
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain("unsafe-inline");
    await page.getByRole("heading", { name: "Endpoints", level: 1 }).waitFor();
    await page.getByText(ATTRIBUTE, { exact: true }).waitFor(); // the description, as text
    await page.goto(`${page.url().split("#")[0]}#/deliveries/${d.id}`);
    const body = page.getByLabel("Attempt 1 response body");
    await body.waitFor();
    expect(await body.textContent()).toBe(`${SCRIPT}${ATTRIBUTE}`);
    expect(await page.getByLabel("Request body").textContent()).toContain(SCRIPT.replace(/'/g, "'"));
    expect(await page.getByLabel("Attempt 1 response headers").textContent()).toContain(ATTRIBUTE);
    // Nothing ran and nothing was injected: no image with src "x", no script element beyond the page's own.
    expect(await page.evaluate(() => (globalThis as unknown as InPage).__pwned)).toBeUndefined();
    expect(await page.locator('img[src="x"]').count()).toBe(0);
    expect(await page.locator("main script").count()).toBe(0);
    await screenshot(page, "portal-hostile-data");
    expect(problems).toEqual([]);
    await page.close();
    expect(ep.id).toMatch(/^ep_/);
  });

  it("tenant A's portal cannot see or change tenant B, through the page or with the page's own token", async () => {
    const a = await h.tenant();
    const b = await h.tenant();
    const receiver = await h.receiver(answer(200));
    const epB = await h.api.createEndpoint(b, { url: receiver.url, description: "tenant B's endpoint" });
    const evB = await h.api.publish(b, { type: "b.only", data: { secret: "B" } });
    const dB = await h.api.onlyDeliveryOf(b, evB.id);

    const { page } = await openPage(browser);
    await page.goto((await portalUrl(a)).url);
    await page.getByRole("heading", { name: "Endpoints", level: 1 }).waitFor();
    const base = page.url().split("#")[0];
    // Through the page: B's ids in A's portal find nothing.
    await page.goto(`${base}#/endpoints/${epB.id}`);
    await page.getByRole("alert").filter({ hasText: `endpoint ${epB.id} not found` }).waitFor();
    await page.goto(`${base}#/deliveries/${dB.id}`);
    await page.getByRole("alert").filter({ hasText: `delivery ${dB.id} not found` }).waitFor();
    expect(await page.getByText("tenant B's endpoint").count()).toBe(0);

    // Through the API, with the very token the page holds.
    const token = await page.evaluate(() => (globalThis as unknown as InPage).sessionStorage.getItem("hookd.portal.session"));
    expect(token).toMatch(/^hkps_/);
    const statuses = await page.evaluate(
      async ({ b, ep, dlv }) => {
        const call = async (method: string, path: string, body?: unknown) => {
          const res = await fetch(path, {
            method,
            headers: {
              authorization: `Bearer ${(globalThis as unknown as InPage).sessionStorage.getItem("hookd.portal.session")}`,
              ...(body ? { "content-type": "application/json" } : {}),
            },
            body: body ? JSON.stringify(body) : undefined,
          });
          return `${method} ${path} ${res.status}`;
        };
        return [
          await call("GET", `/v1/tenants/${b}/endpoints`),
          await call("GET", `/v1/tenants/${b}/deliveries/${dlv}`),
          await call("PATCH", `/v1/tenants/${b}/endpoints/${ep}`, { disabled: true }),
          await call("POST", `/v1/tenants/${b}/deliveries/${dlv}/replay`, {}),
          await call("GET", `/v1/tenants/${b}/endpoints/${ep}/secret`),
          await call("POST", `/v1/tenants/${b}/portal-sessions`, {}),
        ];
      },
      { b, ep: epB.id, dlv: dB.id },
    );
    expect(statuses).toEqual([
      `GET /v1/tenants/${b}/endpoints 404`,
      `GET /v1/tenants/${b}/deliveries/${dB.id} 404`,
      `PATCH /v1/tenants/${b}/endpoints/${epB.id} 404`,
      `POST /v1/tenants/${b}/deliveries/${dB.id}/replay 404`,
      `GET /v1/tenants/${b}/endpoints/${epB.id}/secret 404`,
      `POST /v1/tenants/${b}/portal-sessions 404`,
    ]);
    expect((await h.api.expectGet(`/v1/tenants/${b}/endpoints/${epB.id}`)).disabled).toBe(false);
    await page.close();
  });

  it("a read-only session shows no control that changes anything", async () => {
    const tenantId = await h.tenant();
    const receiver = await h.receiver(answer(200));
    const ep = await h.api.createEndpoint(tenantId, { url: receiver.url });
    const ev = await h.api.publish(tenantId, { type: "a.b", data: {} });
    const d = await h.api.onlyDeliveryOf(tenantId, ev.id);
    const { page, problems } = await openPage(browser);
    await page.goto((await portalUrl(tenantId, { read_only: true })).url);
    await page.getByRole("heading", { name: "Endpoints", level: 1 }).waitFor();
    await page.getByText("Read-only").waitFor();
    expect(await page.getByRole("link", { name: "Create endpoint" }).count()).toBe(0);
    await page.getByRole("link", { name: ep.url }).click();
    await page.getByRole("heading", { name: "Performance" }).waitFor();
    for (const name of ["Edit", "Disable", "Delete", "Reveal secret", "Rotate secret", "Send test event", "Recover"]) {
      expect(await page.getByRole("button", { name, exact: true }).count(), name).toBe(0);
    }
    await page.goto(`${page.url().split("#")[0]}#/deliveries/${d.id}`);
    await page.getByRole("heading", { name: "Request as sent" }).waitFor();
    expect(await page.getByRole("button", { name: "Replay" }).count()).toBe(0);
    expect(problems).toEqual([]);
    await page.close();
  });

  it("a revoked session and a link opened twice are refused with a message", async () => {
    const tenantId = await h.tenant();
    const { url, id } = await portalUrl(tenantId);
    const { page } = await openPage(browser);
    await page.goto(url);
    await page.getByRole("heading", { name: "Endpoints", level: 1 }).waitFor();

    // The same link in a second tab: already used.
    const second = await openPage(browser);
    await second.page.goto(url);
    await second.page.getByRole("alert").filter({ hasText: "this portal link is not valid" }).waitFor();
    await second.page.close();

    // Revoked by the application: the next request of the page is refused and the page says why.
    expect((await h.api.delete(`/v1/tenants/${tenantId}/portal-sessions/${id}`)).status).toBe(204);
    await page.reload();
    await page.getByRole("alert").filter({ hasText: "revoked" }).waitFor();
    expect(await page.evaluate(() => (globalThis as unknown as InPage).sessionStorage.getItem("hookd.portal.session"))).toBeNull();
    await page.close();
  });

  it("sends frame-ancestors from the tenant's allow-list, and never lets the console be framed", async () => {
    const tenantId = await h.tenant();
    const framed = (path: string) => fetch(`${h.app.url}${path}`).then((r) => r.headers.get("content-security-policy") ?? "");
    expect(await framed(`/portal/t/${tenantId}/`)).toMatch(/frame-ancestors 'self'$/);
    await h.api.call("PUT", `/v1/tenants/${tenantId}/portal-settings`, { body: { frame_ancestors: ["https://app.example.com"] } });
    expect(await framed(`/portal/t/${tenantId}/`)).toMatch(/frame-ancestors 'self' https:\/\/app\.example\.com$/);
    expect(await framed("/console/")).toContain("frame-ancestors 'none'");
    // An unknown tenant gets the page (it says to open the portal from the application), framable by no one else.
    expect(await framed("/portal/t/no-such-tenant/")).toMatch(/frame-ancestors 'self'$/);

    // In the browser: a page from another origin that frames the portal sees it blocked.
    const other = await h.receiver((_req, res) => {
      res.writeHead(200, { "content-type": "text/html" });
      res.end(`<iframe title="portal" src="${h.app.url}/portal/t/${tenantId}/"></iframe>`);
    });
    const { page } = await openPage(browser);
    await page.goto(other.url);
    const portalTitle = async () => {
      const frame = page.frames().find((f) => f.url().includes("/portal/"));
      return frame ? await frame.evaluate(() => (globalThis as unknown as InPage).document.title).catch(() => null) : null;
    };
    expect(await portalTitle()).not.toBe("Webhooks portal");
    // Once that origin is on the allow-list, the same page shows the portal in its frame.
    await h.api.call("PUT", `/v1/tenants/${tenantId}/portal-settings`, { body: { frame_ancestors: [other.url] } });
    await page.reload();
    expect(await portalTitle()).toBe("Webhooks portal");
    await page.close();
  });
});
