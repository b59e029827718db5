// The rows API members refer to: locations (also used as territories), departments (business
// units) and corporate structure levels. Fixed seed data; their writes are in the spec but not
// implemented (501).

import { notFound } from "../errors";
import { CORPORATE_STRUCTURE_LEVEL, DEPARTMENT, FieldTypes, LOCATION } from "../fieldTypes";
import { countReply, itemReply, listReply } from "../listing";
import { Method, Route, intParam } from "../routing";
import { departmentViews, locationViews, structureLevelViews } from "../views";

const MY_COMPANY = { fn: "System/My Company", level: "inquire" } as const;

type View = Record<string, unknown> & { id: number };

function readOnlyResource(
  base: string,
  what: string,
  rows: View[],
  fields: FieldTypes,
  opts: { count: boolean; writes: boolean },
): Route[] {
  const byId = new Map(rows.map((r) => [r.id, r]));
  const routes: Route[] = [
    {
      pattern: base,
      operations: { GET: { need: MY_COMPANY, handler: (req) => listReply(req, rows, fields) } },
      notImplemented: opts.writes ? ["POST"] : undefined,
    },
    {
      pattern: `${base}/{id}`,
      operations: {
        GET: {
          need: MY_COMPANY,
          handler: (req) => {
            const id = intParam(req, "id", what);
            const row = byId.get(id);
            if (!row) throw notFound(`${what} ${id}`);
            return itemReply(req, row);
          },
        },
      },
      notImplemented: opts.writes ? (["PUT", "PATCH", "DELETE"] as Method[]) : undefined,
    },
  ];
  if (opts.count)
    routes.push({
      pattern: `${base}/count`,
      operations: { GET: { need: MY_COMPANY, handler: (req) => countReply(req, rows, fields) } },
    });
  return routes;
}

export const lookupRoutes: Route[] = [
  ...readOnlyResource("/system/locations", "Location", locationViews, LOCATION, { count: true, writes: true }),
  ...readOnlyResource("/system/departments", "Department", departmentViews, DEPARTMENT, { count: true, writes: true }),
  ...readOnlyResource(
    "/system/myCompany/corporateStructureLevels",
    "Corporate structure level",
    structureLevelViews,
    CORPORATE_STRUCTURE_LEVEL,
    {
      count: false,
      writes: false,
    },
  ),
];
