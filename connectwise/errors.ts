// The one error type the client throws for a failed call. It is built from plain values only
// (never from an axios error, whose config carries the Authorization header), so printing it,
// inspecting it or JSON-serialising it shows no header and no key.

export interface ConnectWiseErrorDetail {
  code?: string;
  message?: string;
  resource?: string;
  field?: string;
}

export interface ConnectWiseErrorInit {
  /** HTTP status; undefined when no answer came (timeout, dropped or refused connection). */
  status: number | undefined;
  /** ConnectWise's error code ("InvalidObject"), or the network error code ("ECONNRESET"). */
  code: string | undefined;
  /** ConnectWise's own message, or what went wrong on the wire. */
  cwMessage: string | undefined;
  errors?: ConnectWiseErrorDetail[];
  method: string;
  /** The path under /apis/3.0 (no query). */
  path: string;
  /** Appended to the message, e.g. how many attempts were made. */
  note?: string;
  /** See ConnectWiseError.outcomeUnknown; default false. */
  outcomeUnknown?: boolean;
  /** What the user can fix, ending the message ("check connectwise:site ..."): see connectionHint. */
  hint?: string;
}

function describeDetail(detail: ConnectWiseErrorDetail): string {
  const head = [detail.code, detail.field].filter(Boolean).join(" ");
  return [head, detail.message].filter(Boolean).join(": ");
}

export class ConnectWiseError extends Error {
  override readonly name = "ConnectWiseError";
  readonly status: number | undefined;
  readonly code: string | undefined;
  readonly cwMessage: string | undefined;
  readonly errors: ConnectWiseErrorDetail[];
  readonly method: string;
  readonly path: string;
  /**
   * True when the server may have acted on the request although no success answer arrived: the
   * connection was lost after sending (reset, timeout, a cut body), a 5xx came back (a gateway
   * may answer after the application acted), or a 2xx answer could not be read. False when it
   * provably did not act: a 4xx refusal, or a request that never left (refused connection, DNS,
   * TLS). Only a create (POST) cares: after such a failure its object may exist.
   */
  readonly outcomeUnknown: boolean;
  readonly #init: ConnectWiseErrorInit;

  constructor(init: ConnectWiseErrorInit) {
    const errors = init.errors ?? [];
    const details = errors.map(describeDetail).filter(Boolean);
    const what =
      init.status === undefined
        ? `request failed (${init.code ?? "no response"})`
        : [init.status, init.code].filter(Boolean).join(" ");
    let message = `ConnectWise ${what} on ${init.method} ${init.path}`;
    if (init.cwMessage) message += `: ${init.cwMessage}`;
    if (details.length > 0) message += ` (${details.join("; ")})`;
    if (init.note) message += ` [${init.note}]`;
    if (init.hint) message += `; ${init.hint}`;
    super(message);
    this.#init = init;
    this.status = init.status;
    this.code = init.code;
    this.cwMessage = init.cwMessage;
    this.errors = errors;
    this.method = init.method;
    this.path = init.path;
    this.outcomeUnknown = init.outcomeUnknown ?? false;
  }

  /** What the error was built from (plain values), to build it again with a hint. */
  init(): ConnectWiseErrorInit {
    return { ...this.#init };
  }
}

/** The same error, its message ending with `hint` (kept when it has one). */
export function withHint(error: ConnectWiseError, hint: string | undefined): ConnectWiseError {
  const init = error.init();
  if (!hint || init.hint) return error;
  const hinted = new ConnectWiseError({ ...init, hint });
  hinted.stack = `${hinted.name}: ${hinted.message}`;
  return hinted;
}

/** Whether a failed request may still have been carried out (see ConnectWiseError.outcomeUnknown). */
export function outcomeUnknown(error: unknown): boolean {
  return error instanceof ConnectWiseError && error.outcomeUnknown;
}

/** Network codes that mean the site's host cannot be reached at all: the site is wrong (or a proxy is). */
const UNREACHABLE = new Set(["ENOTFOUND", "EAI_AGAIN", "ECONNREFUSED", "EHOSTUNREACH", "ENETUNREACH"]);
/** TLS codes that mean the certificate is not trusted: a private CA, or the wrong host. */
const UNTRUSTED = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS/;

/**
 * What the operator should fix when a request made with the stack's own connection fails: the
 * config key (and its CONNECTWISE_* variable) behind it, or undefined when the failure says
 * nothing about the connection. Only for the connection's own key pair: a request made as
 * another member (a minted key being verified) says nothing about the stack's config.
 */
export function connectionHint(error: ConnectWiseError, host: string): string | undefined {
  const discovery = error.path.startsWith("/login/companyinfo/");
  if (error.status === undefined) {
    if (UNREACHABLE.has(error.code ?? ""))
      return `check connectwise:site (or CONNECTWISE_SITE): "${host}" cannot be reached (${error.code === "ECONNREFUSED" ? "nothing answers there" : "no such host"})`;
    if (UNTRUSTED.test(error.code ?? ""))
      return `check connectwise:site (or CONNECTWISE_SITE): the certificate of "${host}" is not trusted; for a private CA set NODE_EXTRA_CA_CERTS=<file.pem>`;
    if (discovery) return `check connectwise:site (or CONNECTWISE_SITE) and HTTPS_PROXY: "${host}" did not answer`;
    return undefined;
  }
  if (discovery && (error.status === 404 || error.code === "InvalidResponse"))
    return `check connectwise:companyId (or CONNECTWISE_COMPANY_ID) and connectwise:site (or CONNECTWISE_SITE): "${host}" knows no such company`;
  if (discovery && error.status < 500)
    return `check connectwise:site (or CONNECTWISE_SITE): "${host}" does not answer as a ConnectWise site`;
  if (error.status === 401) {
    const said = `${error.cwMessage ?? ""} ${error.errors.map((e) => e.message ?? "").join(" ")}`;
    if (/client\s*id/i.test(said))
      return "check connectwise:clientId (or CONNECTWISE_CLIENT_ID): your clientId from developer.connectwise.com";
    if (/expired/i.test(said))
      return "check connectwise:publicKey and connectwise:privateKey (or CONNECTWISE_PUBLIC_KEY, CONNECTWISE_PRIVATE_KEY): that key has expired; make a new one in Manage";
    if (/inactive/i.test(said))
      return "check connectwise:publicKey (or CONNECTWISE_PUBLIC_KEY): the key's member is inactive in Manage";
    return (
      "check connectwise:publicKey and connectwise:privateKey (or CONNECTWISE_PUBLIC_KEY, CONNECTWISE_PRIVATE_KEY), " +
      "and connectwise:companyId: this company does not accept that key pair"
    );
  }
  if (error.status === 403 && /client\s*id/i.test(`${error.cwMessage ?? ""}`))
    return "check connectwise:clientId (or CONNECTWISE_CLIENT_ID): your clientId from developer.connectwise.com";
  return undefined;
}
