// The API version a request asks for in `Accept: application/vnd.connectwise.com+json; version=X`.
// The real server serves older versions of an endpoint to clients built against them and
// refuses a version it does not have with {code:"ConnectWiseApi", message:"The HTTP resource that
// matches the request URI '...' does not support the API version 'X'."} (connectwise-rest issue
// #35). The sandbox is a 2025.8 server: it takes the releases from 2019.5 (the oldest spec the
// sources list every endpoint it serves in: spinen map.json v2019_5) to 2025.8, answers them
// with the 2025.8 shapes (these endpoints did not change in the versions examined) and names the
// version it answered with in Content-Type. No version, or no ConnectWise media type, is 2025.8.

import { ApiError } from "./errors";
import { API_VERSION } from "./routes/system";

export const VENDOR_MEDIA_TYPE = "application/vnd.connectwise.com+json";
export const OLDEST_API_VERSION = "2019.5";

/** "2025.8" -> [2025, 8]; undefined for anything that is not year.release. */
function parseRelease(version: string): [number, number] | undefined {
  const m = /^(\d{4})\.(\d{1,2})$/.exec(version);
  return m ? [Number(m[1]), Number(m[2])] : undefined;
}

function compare(a: [number, number], b: [number, number]): number {
  return a[0] - b[0] || a[1] - b[1];
}

/** Whether this sandbox serves `version` (year.release, 2019.5 to 2025.8). */
export function supportsVersion(version: string): boolean {
  const v = parseRelease(version);
  return (
    v !== undefined && compare(v, parseRelease(OLDEST_API_VERSION)!) >= 0 && compare(v, parseRelease(API_VERSION)!) <= 0
  );
}

/** The `version` parameter of the first ConnectWise media range in an Accept header, if any. */
export function requestedVersion(accept: string | undefined): string | undefined {
  for (const range of (accept ?? "").split(",")) {
    const [type, ...params] = range.split(";").map((p) => p.trim());
    if (type.toLowerCase() !== VENDOR_MEDIA_TYPE) continue;
    for (const param of params) {
      const eq = param.indexOf("=");
      if (eq > 0 && param.slice(0, eq).trim().toLowerCase() === "version")
        return param
          .slice(eq + 1)
          .trim()
          .replace(/^"(.*)"$/, "$1");
    }
  }
  return undefined;
}

/** The version to answer with; 400 ConnectWiseApi naming the URL when it is one this server does not serve. */
export function negotiateVersion(accept: string | undefined, requestUrl: string): string {
  const version = requestedVersion(accept);
  if (version === undefined || version === "") return API_VERSION;
  if (supportsVersion(version)) return version;
  throw new ApiError(
    400,
    "ConnectWiseApi",
    `The HTTP resource that matches the request URI '${requestUrl}' does not support the API version '${version}'.`,
  );
}

export function contentTypeFor(version: string): string {
  return `${VENDOR_MEDIA_TYPE}; version=${version}; charset=utf-8`;
}
