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

/**
 * A clientId as developer.connectwise.com issues them: a GUID. Checked where a stack's own
 * config is used (the provider, the commands), so a mistyped one is named before any request.
 */
export function checkClientId(clientId: string): void {
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(clientId.trim())) {
    throw new Error(
      "connectwise:clientId (or CONNECTWISE_CLIENT_ID) is not a clientId: ConnectWise issues them as GUIDs " +
        "(8-4-4-4-12 hex digits) at developer.connectwise.com",
    );
  }
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
  if (url.protocol === "https:" && !isLoopbackHost(url.hostname) && process.env.NODE_TLS_REJECT_UNAUTHORIZED === "0") {
    // Node then accepts any certificate: the admin key pair would go to whoever answers.
    throw new Error(
      `connectwise:site '${url.host}': NODE_TLS_REJECT_UNAUTHORIZED=0 turns off certificate checks, refused for a ` +
        "non-loopback site; unset it, and give a private CA with NODE_EXTRA_CA_CERTS=<file.pem> instead",
    );
  }
  return url.origin;
}

/**
 * The proxy an https site is reached through, as a CONNECT tunnel: `https_proxy` (or
 * `HTTPS_PROXY`) unless `no_proxy` (or `NO_PROXY`) names the host. Never for plain http or a
 * loopback host: plain http is only allowed for loopback, which is always reached directly, so
 * `HTTP_PROXY` is not read at all. Only an http:// proxy is supported; its URL may carry
 * user:password for Proxy-Authorization. Errors never repeat the variable's value (it may hold
 * the proxy's password).
 */
export function proxyFor(siteUrl: string, env: NodeJS.ProcessEnv = process.env): URL | undefined {
  const site = new URL(siteUrl);
  if (site.protocol !== "https:" || isLoopbackHost(site.hostname)) return undefined;
  const name = env.https_proxy?.trim() ? "https_proxy" : "HTTPS_PROXY";
  const raw = (env[name] ?? "").trim();
  if (!raw) return undefined;
  if (noProxyMatches(site, (env.no_proxy?.trim() ? env.no_proxy : env.NO_PROXY) ?? "")) return undefined;
  let proxy: URL;
  try {
    proxy = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `http://${raw}`);
  } catch {
    throw new Error(`${name} is not a proxy URL (expected http://host:port)`);
  }
  if (proxy.protocol !== "http:") {
    throw new Error(
      `${name} uses ${proxy.protocol.replace(/:$/, "")}://; only an http:// proxy is supported (the site's TLS runs inside its CONNECT tunnel)`,
    );
  }
  return proxy;
}

/**
 * NO_PROXY as curl reads it: comma- or space-separated entries, `*` for every host, a host name
 * matching itself and its subdomains (a leading `.` or `*.` is the same), an IP literal matching
 * itself, and `entry:port` limiting an entry to that port. CIDR ranges are not supported.
 */
export function noProxyMatches(site: URL, noProxy: string): boolean {
  const host = bare(site.hostname);
  const port = site.port || (site.protocol === "http:" ? "80" : "443");
  for (const raw of noProxy.split(/[\s,]+/)) {
    let entry = raw.trim().toLowerCase();
    if (!entry) continue;
    if (entry === "*") return true;
    const withPort = /^(\[[^\]]+\]|[^:]+):(\d+)$/.exec(entry);
    if (withPort) {
      if (withPort[2] !== port) continue;
      entry = withPort[1];
    }
    entry = bare(entry).replace(/^\*?\./, "");
    if (entry && (host === entry || host.endsWith(`.${entry}`))) return true;
  }
  return false;
}

function bare(hostname: string): string {
  return hostname
    .toLowerCase()
    .replace(/^\[|\]$/g, "")
    .replace(/\.$/, "");
}
