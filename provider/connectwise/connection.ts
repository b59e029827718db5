// Which tenant to talk to and with which credentials. Read from the configure() config or the
// environment at call time, never at module scope: a value captured here would be serialized
// into the Pulumi state in plaintext.

export interface Connection {
  /** A host ("api-na.myconnectwise.net", https implied) or an http(s) origin. */
  site: string;
  companyId: string;
  clientId: string;
  publicKey: string;
  privateKey: string;
}

export interface ConfigSource {
  get(key: string): string | undefined;
}

const SETTINGS: readonly { field: keyof Connection; configKey: string; envVar: string }[] = [
  { field: "site", configKey: "connectwise:site", envVar: "CONNECTWISE_SITE" },
  { field: "companyId", configKey: "connectwise:companyId", envVar: "CONNECTWISE_COMPANY_ID" },
  { field: "clientId", configKey: "connectwise:clientId", envVar: "CONNECTWISE_CLIENT_ID" },
  { field: "publicKey", configKey: "connectwise:publicKey", envVar: "CONNECTWISE_PUBLIC_KEY" },
  { field: "privateKey", configKey: "connectwise:privateKey", envVar: "CONNECTWISE_PRIVATE_KEY" },
];

/**
 * The connection from stack config, each setting falling back to its environment variable.
 * Throws naming every missing setting (config key and variable, never a value) and refusing a
 * site that would send credentials over plain http to a non-loopback host.
 */
export function resolveConnection(config?: ConfigSource): Connection {
  const values: Partial<Connection> = {};
  const missing: string[] = [];
  for (const { field, configKey, envVar } of SETTINGS) {
    const value = (config?.get(configKey) ?? "").trim() || (process.env[envVar] ?? "").trim();
    if (value) values[field] = value;
    else missing.push(`${configKey} (or ${envVar})`);
  }
  if (missing.length > 0) {
    throw new Error(`ConnectWise connection is incomplete: set ${missing.join(", ")}`);
  }
  const connection = values as Connection;
  siteOrigin(connection.site);
  return connection;
}

const LOOPBACK_HOSTS = new Set(["localhost", "[::1]"]);

export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/\.$/, "");
  return LOOPBACK_HOSTS.has(host) || /^127(\.\d{1,3}){3}$/.test(host);
}

/**
 * The origin ("https://host[:port]") of a site given as a bare host or an http(s) URL. The
 * codebase path is discovered, so a site with a path, query or user info is refused rather than
 * silently ignored; plain http is accepted only for loopback hosts (the local sandbox).
 */
export function siteOrigin(site: string): string {
  const text = site.trim();
  const hasScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(text);
  let url: URL;
  try {
    url = new URL(hasScheme ? text : `https://${text}`);
  } catch {
    throw new Error("connectwise:site is not a host name or an http(s) URL");
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new Error(
      `connectwise:site '${url.host}' uses ${url.protocol.replace(/:$/, "")}; only https (or http for a loopback host) is supported`,
    );
  }
  if (url.username || url.password) throw new Error(`connectwise:site must not contain user info`);
  if ((url.pathname !== "/" && url.pathname !== "") || url.search || url.hash) {
    throw new Error(
      `connectwise:site '${url.host}' must be a host or origin without a path (the codebase is discovered from /login/companyinfo)`,
    );
  }
  if (url.protocol === "http:" && !isLoopbackHost(url.hostname)) {
    throw new Error(`connectwise:site '${url.host}': plain http:// is refused for a non-loopback host; use https://`);
  }
  return url.origin;
}
