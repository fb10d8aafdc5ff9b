/**
 * The settings of hookd's command line when it talks to a running hookd over HTTP (`hookd tenants`, `endpoints`,
 * `deliveries` ...): where hookd is, which key to use, which tenant. They belong to the client, not the server, so
 * they are apart from SETTINGS in config.ts; like those, each has its default and a doc line, shown by `--help`
 * and in docs/configuration.md. A flag (`--url`, `--key`, `--tenant`) wins over its variable.
 */

export interface ClientSetting {
  env: string;
  flag: string;
  doc: string;
  default: string | null;
}

export const CLIENT_SETTINGS = {
  url: { env: "HOOKD_URL", flag: "--url", doc: "address of the hookd API", default: "http://127.0.0.1:8080" },
  key: { env: "HOOKD_API_KEY", flag: "--key", doc: "API key: the admin key or a tenant key", default: null },
  tenant: { env: "HOOKD_TENANT", flag: "--tenant", doc: "tenant the command acts on", default: null },
} as const satisfies Record<string, ClientSetting>;

export interface ClientSettings {
  url: string;
  key: string | null;
  tenant: string | null;
}

/**
 * Flags first, then the environment, then the defaults.
 * @example loadClientSettings({ HOOKD_TENANT: "acme" }, { url: "http://h:8080" }) // { url: "http://h:8080", key: null, tenant: "acme" }
 */
export function loadClientSettings(
  env: Record<string, string | undefined>,
  flags: Partial<Record<keyof ClientSettings, string | undefined>>,
): ClientSettings {
  const pick = (name: keyof typeof CLIENT_SETTINGS) => flags[name] || env[CLIENT_SETTINGS[name].env] || CLIENT_SETTINGS[name].default;
  return { url: pick("url") as string, key: pick("key"), tenant: pick("tenant") };
}

/** The description of a setting's flag in `--help`: its variable and default. */
export function clientSettingHelp(name: keyof typeof CLIENT_SETTINGS): string {
  const s = CLIENT_SETTINGS[name];
  return `${s.doc} [env: ${s.env}]${s.default === null ? "" : ` [default: ${s.default}]`}`;
}
