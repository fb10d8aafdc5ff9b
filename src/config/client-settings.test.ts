import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { CLIENT_SETTINGS, clientSettingHelp, loadClientSettings } from "./client-settings.ts";

describe("loadClientSettings", () => {
  it("takes a flag over its variable, and the variable over the default", () => {
    expect(loadClientSettings({}, {})).toEqual({ url: "http://127.0.0.1:8080", key: null, tenant: null });
    const env = { HOOKD_URL: "http://env:1", HOOKD_API_KEY: "env-key", HOOKD_TENANT: "env-tenant" };
    expect(loadClientSettings(env, {})).toEqual({ url: "http://env:1", key: "env-key", tenant: "env-tenant" });
    expect(loadClientSettings(env, { url: "http://flag:2", key: "flag-key", tenant: "flag-tenant" })).toEqual({
      url: "http://flag:2",
      key: "flag-key",
      tenant: "flag-tenant",
    });
    // An empty variable counts as unset, as for the server's settings.
    expect(loadClientSettings({ HOOKD_URL: "" }, {}).url).toBe("http://127.0.0.1:8080");
  });

  it("documents each flag with its variable and default", () => {
    expect(clientSettingHelp("url")).toBe("address of the hookd API [env: HOOKD_URL] [default: http://127.0.0.1:8080]");
    expect(clientSettingHelp("key")).toBe("API key: the admin key or a tenant key [env: HOOKD_API_KEY]");
    expect(Object.values(CLIENT_SETTINGS).map((s) => s.env)).toEqual(["HOOKD_URL", "HOOKD_API_KEY", "HOOKD_TENANT"]);
  });
});

describe("docs/configuration.md's client table", () => {
  it("lists every client setting with its flag and default", () => {
    const doc = readFileSync(new URL("../../docs/configuration.md", import.meta.url), "utf8");
    for (const s of Object.values(CLIENT_SETTINGS)) {
      const row = doc.split("\n").find((l) => l.startsWith(`| \`${s.env}\` |`));
      expect(row, s.env).toBeDefined();
      const cells = row!.split(" | ");
      expect(cells[1]).toBe(`\`${s.flag}\``);
      expect(cells[2]).toBe(s.default === null ? "(unset)" : `\`${s.default}\``);
    }
  });
});
