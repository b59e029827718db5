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

export function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new ApiError(413, "PayloadTooLarge", "The request body is too large"));
        req.destroy();
      } else chunks.push(chunk);
    });
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
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
