// Shared helpers for the sandbox suites: raw HTTP calls against a running sandbox, as a given
// key pair, with the published API's headers.

import type { RunningSandbox } from "../sandbox/server";

export interface Keys {
  publicKey: string;
  privateKey: string;
}

export interface CallOptions {
  method?: string;
  body?: unknown;
  keys?: Keys | null;
  headers?: Record<string, string>;
  clientId?: string | null;
}

export function basic(companyId: string, keys: Keys): string {
  return `Basic ${Buffer.from(`${companyId}+${keys.publicKey}:${keys.privateKey}`).toString("base64")}`;
}

export function apiBase(sb: RunningSandbox): string {
  return `${sb.url}/v4_6_release/apis/3.0`;
}

/** Calls `path` (under /apis/3.0, or absolute) as the admin unless other keys are given. */
export async function call(
  sb: RunningSandbox,
  path: string,
  opts: CallOptions = {},
): Promise<{ status: number; headers: Headers; body: any }> {
  const keys = opts.keys === undefined ? sb : opts.keys;
  const headers: Record<string, string> = {
    Accept: "application/vnd.connectwise.com+json; version=2025.8",
    ...opts.headers,
  };
  if (keys) headers.Authorization = basic(sb.companyId, keys);
  if (opts.clientId !== null) headers.clientId = opts.clientId ?? sb.clientId;
  if (opts.body !== undefined) headers["Content-Type"] = "application/json";
  const res = await fetch(path.startsWith("http") ? path : `${apiBase(sb)}${path}`, {
    method: opts.method ?? "GET",
    headers,
    body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
}

/** rel -> URL from a Link header. */
export function parseLink(header: string | null): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (header ?? "").split(",")) {
    const m = /<([^>]+)>\s*;\s*rel="([^"]+)"/.exec(part);
    if (m) out[m[2]] = m[1];
  }
  return out;
}
