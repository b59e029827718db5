// The client's pure parts: conditions, Link parsing, retry timing, the limiter, the schemas and
// the error type. No network.

import { and, eq, or, quote } from "../connectwise/conditions";
import { noProxyMatches, proxyFor, siteOrigin } from "../connectwise/connection";
import { ConnectWiseError } from "../connectwise/errors";
import { Limiter } from "../connectwise/limiter";
import { linkFor, parseLinkHeader } from "../connectwise/paging";
import { backoffMs, failureKind, retryAfterMs } from "../connectwise/retry";
import { scrub } from "../connectwise/scrub";
import {
  ApiMemberSchema,
  CompanyInfoSchema,
  CountSchema,
  ErrorResponseSchema,
  LevelSchema,
  MemberSchema,
  PatchOperationSchema,
  SecurityRoleSchema,
  SecurityRoleSettingSchema,
  TokenSchema,
} from "../connectwise/schemas";

describe("conditions", () => {
  it("quotes strings, escaping backslash and double quote with a backslash", () => {
    expect(quote('He said "hi" \\o/')).toBe('"He said \\"hi\\" \\\\o/"');
    expect(quote("")).toBe('""');
    expect(quote('x" OR name="Admin')).toBe('"x\\" OR name=\\"Admin"');
  });

  it("writes numbers, booleans and null bare and refuses non-finite numbers", () => {
    expect(quote(42)).toBe("42");
    expect(quote(-1.5)).toBe("-1.5");
    expect(quote(true)).toBe("true");
    expect(quote(false)).toBe("false");
    expect(quote(null)).toBe("null");
    expect(() => quote(Number.NaN)).toThrow(/finite/);
    expect(() => quote(Infinity)).toThrow(/finite/);
  });

  it("builds field=value for field paths and refuses anything else as a field", () => {
    expect(eq("name", "Elements API")).toBe('name="Elements API"');
    expect(eq("securityRole/id", 7)).toBe("securityRole/id=7");
    expect(() => eq("name=1 OR id", 1)).toThrow(/not a field path/);
    expect(() => eq("", 1)).toThrow(/not a field path/);
    expect(() => eq("a//b", 1)).toThrow(/not a field path/);
  });

  it("joins with AND/OR, parenthesising each part only when there are several", () => {
    expect(and(eq("a", 1))).toBe("a=1");
    expect(and(eq("a", 1), eq("b", "x"))).toBe('(a=1) AND (b="x")');
    expect(or(eq("a", 1), and(eq("b", true), eq("c", null)))).toBe("(a=1) OR ((b=true) AND (c=null))");
    expect(() => and()).toThrow(/at least one/);
    expect(() => or("", " ")).toThrow(/at least one/);
  });
});

describe("Link header", () => {
  const base = "http://127.0.0.1:1/v4_6_release/apis/3.0/system/securityroles";

  it("reads every link with its relations, as the sandbox and the API send them", () => {
    const header = `<${base}?pageSize=20&page=1>; rel="first", <${base}?pageSize=20&page=1>; rel="prev", <${base}?pageSize=20&page=3>; rel="next", <${base}?pageSize=20&page=3>; rel="last"`;
    expect(parseLinkHeader(header).map((l) => l.rels[0])).toEqual(["first", "prev", "next", "last"]);
    expect(linkFor(header, "next")).toBe(`${base}?pageSize=20&page=3`);
    expect(linkFor(header, "NEXT")).toBe(`${base}?pageSize=20&page=3`);
  });

  it("keeps commas and semicolons inside the URL, and reads several rels and unquoted values", () => {
    const header = `<${base}?fields=id,name;x&page=2>; rel="next last"; title="a, b", <${base}?page=1>; rel=first`;
    const links = parseLinkHeader(header);
    expect(links).toEqual([
      { url: `${base}?fields=id,name;x&page=2`, rels: ["next", "last"] },
      { url: `${base}?page=1`, rels: ["first"] },
    ]);
    expect(linkFor(header, "last")).toBe(`${base}?fields=id,name;x&page=2`);
  });

  it("has no next link on the last page or without a header", () => {
    expect(linkFor(`<${base}?page=2>; rel="prev", <${base}?page=1>; rel="first"`, "next")).toBeUndefined();
    expect(linkFor(undefined, "next")).toBeUndefined();
    expect(parseLinkHeader("")).toEqual([]);
  });

  it("refuses a malformed header instead of guessing", () => {
    expect(() => parseLinkHeader(`${base}?page=2; rel="next"`)).toThrow(/expected '<'/);
    expect(() => parseLinkHeader(`<${base}?page=2; rel="next"`)).toThrow(/unterminated/);
    expect(() => parseLinkHeader(`<${base}>; rel="next`)).toThrow(/unterminated/);
  });
});

describe("retry timing", () => {
  const policy = { maxRetries: 5, baseMs: 100, maxMs: 1000 };

  it("draws full jitter below an exponential ceiling capped at maxMs", () => {
    expect(backoffMs(0, policy, () => 0)).toBe(0);
    expect(backoffMs(0, policy, () => 0.999)).toBe(99);
    expect(backoffMs(3, policy, () => 0.5)).toBe(400);
    expect(backoffMs(10, policy, () => 0.999)).toBe(999);
  });

  it("reads Retry-After as seconds or an HTTP date", () => {
    expect(retryAfterMs("2")).toBe(2000);
    expect(retryAfterMs(" 0 ")).toBe(0);
    const now = Date.parse("2025-01-01T00:00:00Z");
    expect(retryAfterMs("Wed, 01 Jan 2025 00:00:03 GMT", now)).toBe(3000);
    expect(retryAfterMs("Tue, 31 Dec 2024 00:00:00 GMT", now)).toBe(0);
    expect(retryAfterMs("soon")).toBeUndefined();
    expect(retryAfterMs(undefined)).toBeUndefined();
  });

  it("repeats refused connections always, lost ones only when idempotent, others never", () => {
    expect(failureKind("ECONNREFUSED")).toBe("unsent");
    expect(failureKind("ECONNRESET")).toBe("lost");
    expect(failureKind("ETIMEDOUT")).toBe("lost");
    expect(failureKind("ENOTFOUND")).toBe("fatal");
    expect(failureKind("CERT_HAS_EXPIRED")).toBe("fatal");
    // A proxy that could not reach the site delivered nothing; one that refused is not asked again.
    expect(failureKind("EPROXYUNAVAILABLE")).toBe("unsent");
    expect(failureKind("EPROXY")).toBe("fatal");
    expect(failureKind("ERESPONSETOOLARGE")).toBe("fatal");
  });
});

describe("scrub", () => {
  it("removes every occurrence of each secret from text the server sent back", () => {
    expect(scrub("key PRIV-123 and PRIV-123 again, pub PUB-9", ["PRIV-123", "PUB-9"])).toBe(
      "key *** and *** again, pub ***",
    );
    expect(scrub("abc", ["", "ab"])).toBe("abc");
  });
});

describe("Limiter", () => {
  it("never runs more tasks at once than its limit, and serves waiters in order", async () => {
    const limiter = new Limiter(2);
    let running = 0;
    let peak = 0;
    const started: number[] = [];
    const task = (i: number) =>
      limiter.run(async () => {
        started.push(i);
        running++;
        peak = Math.max(peak, running);
        await new Promise((r) => setTimeout(r, 5));
        running--;
        return i;
      });
    expect(await Promise.all([0, 1, 2, 3, 4, 5].map(task))).toEqual([0, 1, 2, 3, 4, 5]);
    expect(peak).toBe(2);
    expect(started).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it("releases its slot when a task fails, and refuses a bad limit", async () => {
    const limiter = new Limiter(1);
    await expect(limiter.run(() => Promise.reject(new Error("boom")))).rejects.toThrow("boom");
    await expect(limiter.run(() => Promise.resolve("next"))).resolves.toBe("next");
    expect(() => new Limiter(0)).toThrow(/positive integer/);
    expect(() => limiter.setLimit(1.5)).toThrow(/positive integer/);
  });
});

describe("schemas", () => {
  it("accept unknown extra fields and require what the spec requires", () => {
    expect(SecurityRoleSchema.parse({ id: 3, name: "Elements", futureField: { x: 1 } })).toMatchObject({
      id: 3,
      futureField: { x: 1 },
    });
    expect(SecurityRoleSchema.safeParse({ id: 3 }).success).toBe(false);
    expect(ApiMemberSchema.safeParse({ name: "no identifier" }).success).toBe(false);
    expect(MemberSchema.safeParse({ identifier: "api1", licenseClass: "A" }).success).toBe(true);
  });

  it("keep the spec's max lengths, enums, int32 and nullability", () => {
    expect(SecurityRoleSchema.safeParse({ name: "x".repeat(31) }).success).toBe(false);
    expect(ApiMemberSchema.safeParse({ identifier: "x".repeat(16) }).success).toBe(false);
    expect(LevelSchema.options).toEqual(["None", "My", "All"]);
    expect(SecurityRoleSettingSchema.safeParse({ addLevel: "Mine" }).success).toBe(false);
    expect(SecurityRoleSettingSchema.safeParse({ addLevel: null, sortOrder: null }).success).toBe(true);
    expect(SecurityRoleSchema.safeParse({ name: "x", id: 2 ** 31 }).success).toBe(false);
    expect(SecurityRoleSchema.safeParse({ name: "x", id: 1.5 }).success).toBe(false);
    expect(MemberSchema.safeParse({ identifier: "a", licenseClass: "Z" }).success).toBe(false);
    expect(ApiMemberSchema.safeParse({ identifier: "a", inactiveDate: "not a date" }).success).toBe(false);
  });

  it("require what a caller needs from tokens, counts and company info", () => {
    expect(TokenSchema.safeParse({ publicKey: "p", privateKey: "q", expiration: "2030-01-01T00:00:00Z" }).success).toBe(
      true,
    );
    expect(TokenSchema.safeParse({ publicKey: "p", expiration: "2030-01-01T00:00:00Z" }).success).toBe(false);
    expect(CountSchema.safeParse({}).success).toBe(false);
    expect(CompanyInfoSchema.safeParse({ CompanyName: "x" }).success).toBe(false);
    expect(
      ErrorResponseSchema.parse({ code: "InvalidObject", errors: [{ code: "ObjectExists", field: "name" }] }).errors,
    ).toHaveLength(1);
  });

  it("take patch operations with lower-case ops and no stray keys", () => {
    expect(PatchOperationSchema.safeParse({ op: "replace", path: "name", value: "x" }).success).toBe(true);
    expect(PatchOperationSchema.safeParse({ op: "Replace", path: "name", value: "x" }).success).toBe(false);
    expect(PatchOperationSchema.safeParse({ op: "replace", path: "name", Value: "x" }).success).toBe(false);
  });
});

describe("ConnectWiseError", () => {
  it("says status, code, method, path, message and the per-field errors", () => {
    const err = new ConnectWiseError({
      status: 400,
      code: "InvalidObject",
      cwMessage: "securityRole object is invalid",
      errors: [
        { code: "ObjectExists", field: "name", message: "The name is already in use.", resource: "securityRole" },
      ],
      method: "POST",
      path: "/system/securityroles",
    });
    expect(err).toBeInstanceOf(Error);
    expect(err.message).toBe(
      "ConnectWise 400 InvalidObject on POST /system/securityroles: securityRole object is invalid (ObjectExists name: The name is already in use.)",
    );
    expect(String(err)).toBe(`ConnectWiseError: ${err.message}`);
    expect(JSON.parse(JSON.stringify(err))).toEqual({
      name: "ConnectWiseError",
      status: 400,
      code: "InvalidObject",
      cwMessage: "securityRole object is invalid",
      errors: [
        { code: "ObjectExists", field: "name", message: "The name is already in use.", resource: "securityRole" },
      ],
      method: "POST",
      path: "/system/securityroles",
      outcomeUnknown: false, // a 400 is a refusal: nothing was created
    });
  });

  it("describes a call that got no answer", () => {
    const err = new ConnectWiseError({
      status: undefined,
      code: "ECONNRESET",
      cwMessage: "socket hang up",
      method: "GET",
      path: "/system/members",
      note: "after 3 attempts",
    });
    expect(err.message).toBe(
      "ConnectWise request failed (ECONNRESET) on GET /system/members: socket hang up [after 3 attempts]",
    );
    expect(err.errors).toEqual([]);
  });
});

describe("proxy choice", () => {
  const proxy = "http://proxy.corp:3128";

  it("tunnels https sites through HTTPS_PROXY or https_proxy (lower case first), a bare host:port meaning http://", () => {
    expect(proxyFor("https://cw.example.com", { HTTPS_PROXY: proxy })?.href).toBe("http://proxy.corp:3128/");
    expect(proxyFor("https://cw.example.com", { https_proxy: "proxy.corp:8080", HTTPS_PROXY: proxy })?.host).toBe(
      "proxy.corp:8080",
    );
    expect(proxyFor("https://cw.example.com", { https_proxy: " ", HTTPS_PROXY: proxy })?.host).toBe("proxy.corp:3128");
    expect(proxyFor("https://cw.example.com", {})).toBeUndefined();
  });

  it("never proxies plain http or a loopback host, and never reads HTTP_PROXY", () => {
    const env = { HTTPS_PROXY: proxy, HTTP_PROXY: proxy, http_proxy: proxy };
    for (const site of ["http://127.0.0.1:8080", "https://localhost:1", "https://127.0.0.5", "https://[::1]:9"])
      expect(proxyFor(site, env)).toBeUndefined();
    expect(proxyFor("https://cw.example.com", { HTTP_PROXY: proxy, http_proxy: proxy })).toBeUndefined();
  });

  it("refuses a proxy it cannot tunnel through without repeating the value", () => {
    expect(() => proxyFor("https://cw.example.com", { HTTPS_PROXY: "https://u:secretpw@proxy.corp" })).toThrow(
      /^HTTPS_PROXY uses https:\/\/; only an http:\/\/ proxy/,
    );
    expect(() => proxyFor("https://cw.example.com", { https_proxy: "http://[secretpw" })).toThrow(
      "https_proxy is not a proxy URL (expected http://host:port)",
    );
  });

  it("reads NO_PROXY as curl does: *, domains with their subdomains, IP literals, optional ports", () => {
    const site = new URL("https://api-na.myconnectwise.net");
    const matches = (noProxy: string, url: URL = site) => noProxyMatches(url, noProxy);
    expect(matches("*")).toBe(true);
    expect(matches("myconnectwise.net")).toBe(true);
    expect(matches(".myconnectwise.net")).toBe(true);
    expect(matches("*.MyConnectWise.net.")).toBe(true);
    expect(matches("example.com, api-na.myconnectwise.net")).toBe(true);
    expect(matches("example.com api-na.myconnectwise.net:443")).toBe(true);
    expect(matches("api-na.myconnectwise.net:8443")).toBe(false);
    expect(matches("connectwise.net")).toBe(false);
    expect(matches("na.myconnectwise.net.evil")).toBe(false);
    expect(matches("")).toBe(false);
    expect(matches("10.0.0.5", new URL("https://10.0.0.5:8443"))).toBe(true);
    expect(matches("10.0.0.5:8443", new URL("https://10.0.0.5:8443"))).toBe(true);
    expect(matches("[2001:db8::1]", new URL("https://[2001:db8::1]"))).toBe(true);
    expect(matches("2001:db8::1", new URL("https://[2001:db8::1]"))).toBe(true);
    expect(proxyFor("https://api-na.myconnectwise.net", { HTTPS_PROXY: proxy, no_proxy: ".myconnectwise.net" })).toBe(
      undefined,
    );
    expect(proxyFor("https://api-na.myconnectwise.net", { HTTPS_PROXY: proxy, NO_PROXY: "other.net" })).toBeDefined();
  });
});

describe("certificate checks", () => {
  const saved = process.env.NODE_TLS_REJECT_UNAUTHORIZED;
  afterEach(() => {
    if (saved === undefined) delete process.env.NODE_TLS_REJECT_UNAUTHORIZED;
    else process.env.NODE_TLS_REJECT_UNAUTHORIZED = saved;
  });

  it("refuses NODE_TLS_REJECT_UNAUTHORIZED=0 for a non-loopback https site, naming the way out", () => {
    process.env.NODE_TLS_REJECT_UNAUTHORIZED = "0";
    expect(() => siteOrigin("api-na.myconnectwise.net")).toThrow(
      "connectwise:site 'api-na.myconnectwise.net': NODE_TLS_REJECT_UNAUTHORIZED=0 turns off certificate checks",
    );
    expect(() => siteOrigin("api-na.myconnectwise.net")).toThrow(/NODE_EXTRA_CA_CERTS/);
    // A loopback site (a local sandbox behind a self-signed certificate) stays allowed.
    expect(siteOrigin("https://127.0.0.1:8443")).toBe("https://127.0.0.1:8443");
    delete process.env.NODE_TLS_REJECT_UNAUTHORIZED;
    expect(siteOrigin("api-na.myconnectwise.net")).toBe("https://api-na.myconnectwise.net");
  });
});
