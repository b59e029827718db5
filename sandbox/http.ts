// HTTP plumbing shared by the planes: the request as a plane sees it, its reply, reading a
// bounded body, and writing the reply. A plane is an async function from one to the other,
// so steps such as fault injection or the request log wrap a plane without knowing its routes.

import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from "http";
import { ApiError } from "./errors";
import type { FaultOutcome } from "./faults";
import type { Reply } from "./routing";

export const MAX_BODY_BYTES = 1024 * 1024;

export interface PlaneRequest {
  method: string;
  /** The URL as sent (paths and query not decoded). */
  target: URL;
  /** What follows the plane's prefix in the path, as sent. */
  rest: string;
  headers: IncomingHttpHeaders;
  remoteAddress: string | undefined;
  /** When the request arrived, ISO. */
  at: string;
  /** The body as text, read once however often it is asked for. */
  body(): Promise<string>;
}

export interface PlaneReply extends Reply {
  /** Overrides the plane's content type. */
  contentType?: string;
  /** Destroy the connection without an answer (an injected fault). */
  drop?: boolean;
  /** For the request log: the injected fault that answered, and the request body as understood. */
  fault?: FaultOutcome;
  requestBody?: unknown;
}

export type Plane = (req: PlaneRequest) => PlaneReply | Promise<PlaneReply>;

// Past the limit the rest of the body is read and thrown away, so the 413 reaches the client
// (cutting the connection mid-upload would show as a reset); past this much more it is cut.
const MAX_DISCARD_BYTES = 16 * MAX_BODY_BYTES;
// Json.NET, the ASP.NET binder's parser, stops at 64 levels by default.
export const MAX_JSON_DEPTH = 64;

/** The body as text; 413 ApiError once all of a too-large body has arrived. */
export function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
      else if (size > MAX_DISCARD_BYTES) req.destroy();
    });
    req.on("end", () => {
      if (size > MAX_BODY_BYTES) reject(new ApiError(413, "PayloadTooLarge", "The request body is too large"));
      else resolve(Buffer.concat(chunks).toString("utf8"));
    });
    req.on("error", reject);
  });
}

/** Whether brackets nest deeper than `max` outside strings: checked before JSON.parse so that nothing recurses that deep. */
function nestsDeeperThan(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === "\\") i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === "[" || c === "{") {
      if (++depth > max) return true;
    } else if (c === "]" || c === "}") depth--;
  }
  return false;
}

/** A JSON body (undefined when empty); 400 InvalidObject when it is not JSON or nests too deep. */
export function parseJsonBody(text: string): unknown {
  if (text.trim() === "") return undefined;
  if (nestsDeeperThan(text, MAX_JSON_DEPTH))
    throw new ApiError(400, "InvalidObject", `The request body nests deeper than ${MAX_JSON_DEPTH} levels`);
  try {
    return JSON.parse(text);
  } catch {
    throw new ApiError(400, "InvalidObject", "The request body is not valid JSON");
  }
}

/** The request's URL, or undefined when it does not parse or a percent escape in its path or query does not decode. */
export function parseTarget(url: string): URL | undefined {
  try {
    const target = new URL(url, "http://sandbox");
    decodeURIComponent(target.pathname);
    decodeURIComponent(target.search.replace(/\+/g, " "));
    return target;
  } catch {
    return undefined;
  }
}

/** 127.0.0.0/8 or ::1, also as an IPv4-mapped IPv6 address. */
export function isLoopbackAddress(address: string | undefined): boolean {
  if (!address) return false;
  const v4 = address.replace(/^::ffff:/i, "");
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(v4) || address === "::1";
}

/** A Host header that names this machine's loopback: "localhost", a loopback address, "[::1]", with or without a port. */
export function isLoopbackHost(host: string | undefined): boolean {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]+))(?::\d{1,5})?$/.exec(host?.trim() ?? "");
  const name = (m?.[1] ?? m?.[2] ?? "").toLowerCase();
  return name === "localhost" || isLoopbackAddress(name);
}

export function planeRequest(req: IncomingMessage, target: URL, prefix: string): PlaneRequest {
  let body: Promise<string> | undefined;
  return {
    method: req.method ?? "GET",
    target,
    rest: target.pathname.slice(prefix.length),
    headers: req.headers,
    remoteAddress: req.socket.remoteAddress,
    at: new Date().toISOString(),
    body: () => (body ??= readBody(req)),
  };
}

export function send(res: ServerResponse, reply: PlaneReply, contentType: string): void {
  const text = reply.body === undefined ? "" : JSON.stringify(reply.body);
  res.writeHead(reply.status, {
    ...reply.headers,
    ...(text ? { "Content-Type": reply.contentType ?? contentType, "Content-Length": Buffer.byteLength(text) } : {}),
  });
  res.end(text);
}
