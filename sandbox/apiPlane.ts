// The API plane, /{codebase}apis/3.0/...: authenticate, route, parse the body, authorize, run
// the operation, persist a change. Every answer is an ErrorResponseMessage or the operation's
// reply; `logRequests` is the step in front that records each request for the console.

import { contentTypeFor, negotiateVersion } from "./apiVersion";
import { authenticate } from "./auth";
import { ApiError } from "./errors";
import { Plane, PlaneRequest, parseJsonBody } from "./http";
import { authorize } from "./permissions";
import { RequestLog } from "./requestLog";
import { API_ROUTES } from "./routes";
import { API_VERSION } from "./routes/system";
import { ApiRequest, Method, Router, SandboxContext } from "./routing";
import { CODEBASE } from "./store";

export const API_PREFIX = `/${CODEBASE}apis/3.0`.toLowerCase();
export const API_CONTENT_TYPE = contentTypeFor(API_VERSION);
/** On every API answer, as the real server sends it (Connect-CWM reads it to learn the server's version). */
const CURRENT_VERSION_HEADER = { "api-current-version": API_VERSION };

// The query parameters every list/get operation takes, by their canonical names.
const STANDARD_PARAMS = [
  "conditions",
  "childConditions",
  "customFieldConditions",
  "orderBy",
  "fields",
  "page",
  "pageSize",
  "pageId",
];
const CANONICAL_PARAM = new Map(STANDARD_PARAMS.map((p) => [p.toLowerCase(), p]));

/** The query with the standard parameters renamed to their canonical case (the binder ignores case). */
function canonicalQuery(search: URLSearchParams): URLSearchParams {
  const out = new URLSearchParams();
  for (const [k, v] of search) out.append(CANONICAL_PARAM.get(k.toLowerCase()) ?? k, v);
  return out;
}

/** The path under /apis/3.0, without a trailing slash. */
export function apiPath(req: PlaneRequest): string {
  return req.rest.replace(/\/+$/, "") || "/";
}

export interface ApiPlaneDeps {
  context: SandboxContext;
  /** Saves the state after a change. */
  persist: () => void;
  /** "http://host:port", known once the server listens. */
  baseUrl: () => string;
}

export function apiPlane({ context, persist, baseUrl }: ApiPlaneDeps): Plane {
  const router = new Router(API_ROUTES);
  return async (req) => {
    const { method } = req;
    const path = apiPath(req);
    let requestBody: unknown;
    try {
      const text = await req.body();
      const caller = authenticate(req.headers, context.store, context.now());
      const match = router.match(method, path);
      if (match.kind === "notFound") throw new ApiError(404, "NotFound", `No resource at ${path}`);
      if (match.kind === "methodNotAllowed") {
        throw new ApiError(
          405,
          "MethodNotAllowed",
          `The requested resource does not support http method '${method}'.`,
          undefined,
          { Allow: match.allow.join(", ") },
        );
      }
      if (match.kind === "notImplemented")
        throw new ApiError(501, "NotImplemented", `The sandbox does not implement ${method} ${path}`);
      const version = negotiateVersion(req.headers.accept, `${baseUrl()}${req.target.pathname}`);
      requestBody = parseJsonBody(text);
      authorize(context.store, caller, match.operation.need);
      const request: ApiRequest = {
        method: method as Method,
        path,
        params: match.params,
        query: canonicalQuery(req.target.searchParams),
        headers: req.headers,
        body: requestBody,
        caller,
        linkBase: `${baseUrl()}${req.target.pathname.replace(/\/+$/, "")}`,
      };
      const reply = match.operation.handler(request, context);
      if (method !== "GET") persist();
      return {
        ...reply,
        headers: { ...reply.headers, ...CURRENT_VERSION_HEADER },
        contentType: contentTypeFor(version),
        requestBody,
      };
    } catch (e) {
      if (e instanceof ApiError)
        return { status: e.status, body: e.body(), headers: { ...e.headers, ...CURRENT_VERSION_HEADER }, requestBody };
      process.stderr.write(`sandbox: unexpected error on ${method} ${path}: ${(e as Error).stack ?? String(e)}\n`);
      return {
        status: 500,
        body: { code: "UnexpectedError", message: "An unexpected error occurred" },
        headers: CURRENT_VERSION_HEADER,
        requestBody,
      };
    }
  };
}

/** Records every request `next` answers (a dropped one with status 0). */
export function logRequests(log: RequestLog, next: Plane): Plane {
  return async (req) => {
    const reply = await next(req);
    log.add({
      method: req.method,
      path: apiPath(req),
      query: req.target.search.replace(/^\?/, ""),
      at: req.at,
      status: reply.drop ? 0 : reply.status,
      ...(reply.fault ? { fault: reply.fault } : {}),
      requestBody: reply.requestBody,
      responseBody: reply.body,
    });
    return reply;
  };
}
