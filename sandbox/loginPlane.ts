// The login plane: GET /login/companyinfo/{companyId}, the unauthenticated lookup a client makes
// to find the codebase (and so the API base) of a company.

import type { Plane } from "./http";
import { API_VERSION } from "./routes/system";
import { CODEBASE, COMPANY_ID } from "./store";

export const LOGIN_PREFIX = "/login/companyinfo";

export function loginPlane(baseUrl: () => string): Plane {
  return (req) => {
    const company = /^\/([^/]+)\/?$/.exec(req.rest);
    if (!company) return { status: 404, body: { code: "NotFound", message: `No resource at ${req.target.pathname}` } };
    if (req.method !== "GET")
      return {
        status: 405,
        body: { code: "MethodNotAllowed", message: "Only GET is supported" },
        headers: { Allow: "GET" },
      };
    if (decodeURIComponent(company[1]).toLowerCase() !== COMPANY_ID)
      return { status: 404, body: { code: "NotFound", message: "Company not found" } };
    return {
      status: 200,
      contentType: "application/json; charset=utf-8",
      body: {
        CompanyName: "Sandbox MSP",
        Codebase: CODEBASE,
        VersionCode: `v${API_VERSION}`,
        VersionNumber: `v${API_VERSION}.0.12345`,
        CompanyID: COMPANY_ID,
        IsCloud: false,
        SiteUrl: baseUrl().replace(/^https?:\/\//, ""),
      },
    };
  };
}
