// The shape of a routed API request and its reply, and the route table matcher. Paths match
// case-insensitively and ignore a trailing slash, as IIS/ASP.NET routing does. A known path
// with a method the spec does not list answers 405 with Allow; a method the spec lists but the
// sandbox does not implement answers 501.

import type { IncomingHttpHeaders } from "http";
import type { PermissionField } from "../catalog";
import { notFound } from "./errors";
import type { MemberRecord, RoleRecord, Store } from "./store";

export type Method = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

export interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface Caller {
  member: MemberRecord;
  role: RoleRecord | undefined;
}

export interface ApiRequest {
  method: Method;
  /** The path under /apis/3.0 as sent (no trailing slash). */
  path: string;
  params: Record<string, string>;
  /** Query parameters, the standard ones under their canonical names. */
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: unknown;
  caller: Caller;
  /** Absolute URL of the request path, for Link headers. */
  linkBase: string;
}

export interface SandboxContext {
  store: Store;
  now(): Date;
}

/** The module function and level an operation needs, checked against the caller's role. */
export interface Need {
  fn: string;
  level: PermissionField;
}

export interface Operation {
  /** Absent: any authenticated member may call it. */
  need?: Need;
  handler: (req: ApiRequest, ctx: SandboxContext) => Reply;
}

export interface Route {
  pattern: string;
  operations: Partial<Record<Method, Operation>>;
  /** Methods the published spec lists on this path that the sandbox does not implement. */
  notImplemented?: Method[];
}

export type RouteMatch =
  | { kind: "operation"; operation: Operation; params: Record<string, string> }
  | { kind: "notFound" }
  | { kind: "methodNotAllowed"; allow: Method[] }
  | { kind: "notImplemented" };

interface CompiledRoute {
  route: Route;
  segments: string[];
  literals: number;
}

export class Router {
  private readonly routes: CompiledRoute[];

  constructor(routes: Route[]) {
    // Literal segments win over parameters (/securityroles/count before /securityroles/{id}).
    this.routes = routes
      .map((route) => {
        const segments = route.pattern.split("/").filter((s) => s.length > 0);
        return { route, segments, literals: segments.filter((s) => !s.startsWith("{")).length };
      })
      .sort((a, b) => b.literals - a.literals);
  }

  match(method: string, path: string): RouteMatch {
    const parts = path.split("/").filter((s) => s.length > 0);
    for (const { route, segments } of this.routes) {
      if (segments.length !== parts.length) continue;
      const params: Record<string, string> = {};
      const matches = segments.every((seg, i) => {
        if (seg.startsWith("{")) {
          params[seg.slice(1, -1)] = decodeURIComponent(parts[i]);
          return true;
        }
        return seg.toLowerCase() === parts[i].toLowerCase();
      });
      if (!matches) continue;
      const operation = route.operations[method as Method];
      if (operation) return { kind: "operation", operation, params };
      if (route.notImplemented?.includes(method as Method)) return { kind: "notImplemented" };
      const allow = [...(Object.keys(route.operations) as Method[]), ...(route.notImplemented ?? [])];
      return { kind: "methodNotAllowed", allow };
    }
    return { kind: "notFound" };
  }
}

/** An integer path parameter; anything else names no row (404, as a failed route constraint would). */
export function intParam(req: ApiRequest, name: string, what: string): number {
  const raw = req.params[name];
  if (!/^\d{1,9}$/.test(raw)) throw notFound(`${what} ${raw}`);
  return Number(raw);
}
