// `fields` projection (`id,name,securityRole/id`) and the path reader it shares with
// conditions and orderBy. Property names match case-insensitively; a path that names nothing
// is left out of the result rather than refused (the response just lacks it).

function childKey(obj: Record<string, unknown>, name: string): string | undefined {
  if (name in obj) return name;
  const lower = name.toLowerCase();
  return Object.keys(obj).find((k) => k.toLowerCase() === lower);
}

/** The value at a `/`-separated path, or undefined. */
export function readPath(item: unknown, path: string): unknown {
  let cur: unknown = item;
  for (const part of path.split("/")) {
    if (cur === null || typeof cur !== "object" || Array.isArray(cur)) return undefined;
    const key = childKey(cur as Record<string, unknown>, part);
    if (key === undefined) return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}

/** Parses the `fields` parameter; undefined when absent or empty (no projection). */
export function parseFields(param: string | null): string[][] | undefined {
  if (param === null) return undefined;
  const paths = param
    .split(",")
    .map((p) => p.trim())
    .filter((p) => p.length > 0)
    .map((p) => p.split("/").filter((s) => s.length > 0));
  return paths.length > 0 ? paths : undefined;
}

/** A copy of `item` holding only the given paths (nested objects rebuilt along each path). */
export function project(item: Record<string, unknown>, paths: string[][]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const path of paths) {
    let src: unknown = item;
    let dst = out;
    for (let i = 0; i < path.length; i++) {
      if (src === null || typeof src !== "object" || Array.isArray(src)) break;
      const key = childKey(src as Record<string, unknown>, path[i]);
      if (key === undefined) break;
      const value = (src as Record<string, unknown>)[key];
      if (i === path.length - 1 || value === null || typeof value !== "object" || Array.isArray(value)) {
        if (i === path.length - 1) dst[key] = value;
        break;
      }
      if (dst[key] === value) break; // the whole object was already requested
      dst = (dst[key] ??= {}) as Record<string, unknown>;
      src = value;
    }
  }
  return out;
}
