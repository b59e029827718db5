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
    super(message);
    this.status = init.status;
    this.code = init.code;
    this.cwMessage = init.cwMessage;
    this.errors = errors;
    this.method = init.method;
    this.path = init.path;
    this.outcomeUnknown = init.outcomeUnknown ?? false;
  }
}

/** Whether a failed request may still have been carried out (see ConnectWiseError.outcomeUnknown). */
export function outcomeUnknown(error: unknown): boolean {
  return error instanceof ConnectWiseError && error.outcomeUnknown;
}
