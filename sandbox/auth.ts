// Authentication of /apis/3.0 calls: `Authorization: Basic base64("{companyId}+{publicKey}:{privateKey}")`
// plus a `clientId` header. A key authenticates as its member while the member is active and,
// for tokens, until the expiration. Messages never echo what was sent.

import type { IncomingHttpHeaders } from "http";
import { timingSafeEqual } from "crypto";
import { unauthorized } from "./errors";
import type { Caller } from "./routing";
import { COMPANY_ID, Ref, Store, sha256 } from "./store";

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function sameDigest(a: string, b: string): boolean {
  const x = Buffer.from(a, "hex");
  const y = Buffer.from(b, "hex");
  return x.length === y.length && timingSafeEqual(x, y);
}

/** The calling member and its role; throws 401 Unauthorized. */
export function authenticate(headers: IncomingHttpHeaders, store: Store, now: Date): Caller {
  const auth = header(headers, "authorization");
  const m = auth ? /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(auth) : null;
  if (!m) throw unauthorized("Basic authorization with companyId+publicKey:privateKey is required");
  const decoded = Buffer.from(m[1], "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  const user = colon < 0 ? decoded : decoded.slice(0, colon);
  const plus = user.indexOf("+");
  if (colon < 0 || plus < 0) throw unauthorized("Basic authorization with companyId+publicKey:privateKey is required");
  const companyId = user.slice(0, plus);
  const key = store.key(user.slice(plus + 1));
  const privateKey = decoded.slice(colon + 1);
  if (companyId.toLowerCase() !== COMPANY_ID || !key || !sameDigest(key.privateKeySha256, sha256(privateKey))) {
    throw unauthorized("The credentials are not valid for this company");
  }
  if (key.expiresAt && Date.parse(key.expiresAt) <= now.getTime()) throw unauthorized("The token has expired");
  const member = store.members.get(key.memberId);
  if (!member || member.fields.inactiveFlag === true)
    throw unauthorized("The member for these credentials is inactive");
  if (!header(headers, "clientid")?.trim())
    throw unauthorized("A clientId header is required (see developer.connectwise.com/ClientID)");
  const roleRef = member.fields.securityRole as Ref | undefined;
  return { member, role: roleRef ? store.roles.get(roleRef.id) : undefined };
}
