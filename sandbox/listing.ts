// Replies for list, count and single-object GETs: conditions, orderBy, paging and fields
// applied to the API views of a resource. childConditions and customFieldConditions are
// accepted and ignored (none of these resources has child collections or custom fields).

import { parseConditions } from "./conditions";
import { FieldTypes } from "./fieldTypes";
import { parseOrderBy } from "./ordering";
import { pageOf, parsePaging } from "./paging";
import { parseFields, project } from "./projection";
import type { ApiRequest, Reply } from "./routing";

type View = Record<string, unknown> & { id: number };

function header(req: ApiRequest, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

export function listReply(req: ApiRequest, items: View[], fields: FieldTypes): Reply {
  const matches = parseConditions(req.query.get("conditions") ?? "", fields);
  const paging = parsePaging(req.query, header(req, "pagination-type"));
  // Forward-only pages are keyed by id, so they are always in id order.
  const order = parseOrderBy(paging.mode === "forward" ? null : req.query.get("orderBy"), fields);
  const rows = items.filter(matches).sort(order);
  const page = pageOf(rows, paging, req.linkBase, req.query);
  const paths = parseFields(req.query.get("fields"));
  return {
    status: 200,
    body: paths ? page.items.map((item) => project(item, paths)) : page.items,
    headers: page.link ? { Link: page.link } : undefined,
  };
}

export function countReply(req: ApiRequest, items: View[], fields: FieldTypes): Reply {
  const matches = parseConditions(req.query.get("conditions") ?? "", fields);
  return { status: 200, body: { count: items.filter(matches).length } };
}

export function itemReply(req: ApiRequest, item: Record<string, unknown>, status = 200): Reply {
  const paths = parseFields(req.query.get("fields"));
  return { status, body: paths ? project(item, paths) : item };
}
