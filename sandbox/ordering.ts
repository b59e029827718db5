// `orderBy` ("name asc, id desc"). Unknown fields are refused like unknown condition fields.
// Strings sort case-insensitively and NULLs sort first ascending, as SQL Server does; ties keep
// the id order, so paging over an ordered list is stable.

import { ApiError } from "./errors";
import { FieldTypes } from "./fieldTypes";
import { readPath } from "./projection";

type Comparator = (a: unknown, b: unknown) => number;

function key(v: unknown): string | number | boolean | null {
  if (v === null || v === undefined) return null;
  return typeof v === "string" ? v.toLowerCase() : (v as number | boolean);
}

function compareValues(a: unknown, b: unknown): number {
  const x = key(a);
  const y = key(b);
  if (x === y) return 0;
  if (x === null) return -1;
  if (y === null) return 1;
  return x < y ? -1 : 1;
}

export function parseOrderBy(param: string | null, fields: FieldTypes): Comparator {
  const byId: Comparator = (a, b) => compareValues(readPath(a, "id"), readPath(b, "id"));
  if (param === null || param.trim() === "") return byId;
  const terms = param.split(",").map((term) => {
    const m = /^\s*([A-Za-z_][\w/]*)(?:\s+(asc|desc))?\s*$/i.exec(term);
    if (!m) throw new ApiError(400, "InvalidOrderBy", `orderBy term '${term.trim()}' is not 'field [asc|desc]'`);
    const field = fields.get(m[1].toLowerCase());
    if (!field) throw new ApiError(400, "InvalidOrderBy", `Unknown orderBy field '${m[1]}'`);
    const sign = m[2]?.toLowerCase() === "desc" ? -1 : 1;
    return { path: field.path, sign };
  });
  return (a, b) => {
    for (const t of terms) {
      const c = compareValues(readPath(a, t.path), readPath(b, t.path));
      if (c !== 0) return c * t.sign;
    }
    return byId(a, b);
  };
}
