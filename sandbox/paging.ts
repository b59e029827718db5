// Paging as the API does it: navigable pages (`page`, `pageSize`, a `Link` header with
// first/prev/next/last) or, with the request header `pagination-type: forward-only`, keyset
// pages (`pageId` = the last id seen; the `Link` header carries only rel="next").

export const DEFAULT_PAGE_SIZE = 25;
export const MAX_PAGE_SIZE = 1000;

export type PageRequest =
  { mode: "navigable"; page: number; pageSize: number } | { mode: "forward"; pageId: number; pageSize: number };

function positiveInt(value: string | null): number | undefined {
  if (value === null || !/^\s*\d+\s*$/.test(value)) return undefined;
  const n = Number(value);
  return n >= 1 ? n : undefined;
}

/** Unparsable or non-positive values fall back to the defaults; pageSize is clamped to 1000. */
export function parsePaging(query: URLSearchParams, paginationType: string | undefined): PageRequest {
  const pageSize = Math.min(positiveInt(query.get("pageSize")) ?? DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE);
  if (paginationType?.trim().toLowerCase() === "forward-only") {
    const raw = query.get("pageId");
    const pageId = raw !== null && /^\s*\d+\s*$/.test(raw) ? Number(raw) : 0;
    return { mode: "forward", pageId, pageSize };
  }
  return { mode: "navigable", page: positiveInt(query.get("page")) ?? 1, pageSize };
}

function linkTo(base: string, query: URLSearchParams, set: Record<string, number>): string {
  const q = new URLSearchParams(query);
  for (const [k, v] of Object.entries(set)) {
    for (const existing of [...q.keys()]) if (existing.toLowerCase() === k.toLowerCase()) q.delete(existing);
    q.set(k, String(v));
  }
  return `${base}?${q.toString()}`;
}

export interface Page<T> {
  items: T[];
  link?: string;
}

/**
 * One page of `items` (already filtered and ordered; in forward-only mode ordered by id).
 * `base` is the absolute URL of the request path; the other query parameters are kept in links.
 */
export function pageOf<T extends { id: number }>(
  items: T[],
  req: PageRequest,
  base: string,
  query: URLSearchParams,
): Page<T> {
  if (req.mode === "forward") {
    const start = items.findIndex((item) => item.id > req.pageId);
    const rest = start < 0 ? [] : items.slice(start);
    const page = rest.slice(0, req.pageSize);
    if (rest.length <= req.pageSize) return { items: page };
    return {
      items: page,
      link: `<${linkTo(base, query, { pageSize: req.pageSize, pageId: page[page.length - 1].id })}>; rel="next"`,
    };
  }
  const { page, pageSize } = req;
  const last = Math.max(1, Math.ceil(items.length / pageSize));
  const slice = items.slice((page - 1) * pageSize, page * pageSize);
  if (last === 1 && page === 1) return { items: slice };
  const rel = (p: number, name: string) => `<${linkTo(base, query, { pageSize, page: p })}>; rel="${name}"`;
  const links: string[] = [];
  if (page > last) {
    links.push(rel(1, "first"));
  } else if (page === last) {
    // Ends with rel="first" on the last page, as clients that look only at the tail expect.
    links.push(rel(page - 1, "prev"), rel(1, "first"));
  } else {
    if (page > 1) links.push(rel(1, "first"), rel(page - 1, "prev"));
    links.push(rel(page + 1, "next"), rel(last, "last"));
  }
  return { items: slice, link: links.join(", ") };
}
