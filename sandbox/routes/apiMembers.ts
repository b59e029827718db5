// /system/apiMembers: list, count, default, get, create, replace (PUT) and JSON-Patch (PATCH).
// No DELETE: API members are deactivated (inactiveFlag), never deleted. An API member is a
// member with licenseClass "A"; it shares identifiers (unique, case-insensitive) with all members.

import { notFound } from "../errors";
import { API_MEMBER } from "../fieldTypes";
import { countReply, itemReply, listReply } from "../listing";
import { applyPatch } from "../patch";
import { ApiRequest, Route, SandboxContext, intParam } from "../routing";
import { DEPARTMENTS, LOCATIONS, MemberRecord, STRUCTURE_LEVELS } from "../store";
import { Rules, objectExists, validateBody } from "../validation";
import { apiMemberView } from "../views";

const MEMBERS = "System/Member Maintenance";

export const API_MEMBER_RULES: Rules = {
  identifier: { type: "string", max: 15, format: "identifier" },
  name: { type: "string", max: 30, format: "name" },
  emailAddress: { type: "string", max: 250 },
  inactiveFlag: { type: "boolean" },
  inactiveDate: { type: "datetime" },
  timeZone: { type: "opaqueRef" },
  securityRole: { type: "ref", kind: "securityRole" },
  structureLevel: { type: "ref", kind: "structureLevel" },
  securityLocation: { type: "ref", kind: "location" },
  defaultLocation: { type: "ref", kind: "location" },
  defaultDepartment: { type: "ref", kind: "department" },
  salesDefaultLocation: { type: "ref", kind: "location" },
  serviceDefaultBoard: { type: "opaqueRef" },
  notes: { type: "string" },
  excludedServiceBoardIds: { type: "intArray" },
  blockPriceFlag: { type: "boolean" },
  blockCostFlag: { type: "boolean" },
};

function apiMembers(ctx: SandboxContext): MemberRecord[] {
  return [...ctx.store.members.values()].filter((m) => m.licenseClass === "A");
}

function apiMemberOf(req: ApiRequest, ctx: SandboxContext): MemberRecord {
  const id = intParam(req, "id", "API member");
  const member = ctx.store.members.get(id);
  if (!member || member.licenseClass !== "A") throw notFound(`API member ${id}`);
  return member;
}

/**
 * Validated fields for a new state of the member. "Required On Updates": name is required on
 * PUT/PATCH but not on POST. inactiveDate is stamped when the member becomes inactive.
 */
function checkedFields(
  body: unknown,
  ctx: SandboxContext,
  existing: MemberRecord | undefined,
): Record<string, unknown> {
  const fields = validateBody(body, {
    resource: "apiMember",
    rules: API_MEMBER_RULES,
    store: ctx.store,
    required: existing ? ["identifier", "name"] : ["identifier"],
  });
  const identifier = fields.identifier as string;
  const holder = ctx.store.memberByIdentifier(identifier);
  if (holder && holder.id !== existing?.id) throw objectExists("apiMember", "identifier", identifier);
  fields.inactiveFlag = fields.inactiveFlag === true;
  if (!fields.inactiveFlag) delete fields.inactiveDate;
  else if (fields.inactiveDate === undefined)
    fields.inactiveDate = existing?.fields.inactiveDate ?? ctx.now().toISOString();
  return fields;
}

function save(req: ApiRequest, ctx: SandboxContext, member: MemberRecord, fields: Record<string, unknown>) {
  ctx.store.replaceMemberFields(member, fields, ctx.now(), String(req.caller.member.fields.identifier));
  return itemReply(req, apiMemberView(member));
}

/** What the UI pre-fills for a new API member (the sandbox's guess at /apiMembers/default). */
function defaultApiMember(): Record<string, unknown> {
  const main = { id: LOCATIONS[0].id, name: LOCATIONS[0].name };
  return {
    id: 0,
    identifier: "",
    name: "",
    inactiveFlag: false,
    structureLevel: STRUCTURE_LEVELS[0],
    securityLocation: main,
    defaultLocation: main,
    defaultDepartment: DEPARTMENTS[0],
    salesDefaultLocation: main,
    excludedServiceBoardIds: [],
    blockPriceFlag: false,
    blockCostFlag: false,
  };
}

export const apiMemberRoutes: Route[] = [
  {
    pattern: "/system/apiMembers",
    operations: {
      GET: {
        need: { fn: MEMBERS, level: "inquire" },
        handler: (req, ctx) => listReply(req, apiMembers(ctx).map(apiMemberView), API_MEMBER),
      },
      POST: {
        need: { fn: MEMBERS, level: "add" },
        handler: (req, ctx) => {
          const fields = checkedFields(req.body, ctx, undefined);
          const member = ctx.store.addMember("A", fields, ctx.now(), String(req.caller.member.fields.identifier));
          return itemReply(req, apiMemberView(member), 201);
        },
      },
    },
  },
  {
    pattern: "/system/apiMembers/count",
    operations: {
      GET: {
        need: { fn: MEMBERS, level: "inquire" },
        handler: (req, ctx) => countReply(req, apiMembers(ctx).map(apiMemberView), API_MEMBER),
      },
    },
  },
  {
    pattern: "/system/apiMembers/default",
    operations: {
      GET: { need: { fn: MEMBERS, level: "inquire" }, handler: (req) => itemReply(req, defaultApiMember()) },
    },
  },
  {
    pattern: "/system/apiMembers/{id}",
    operations: {
      GET: {
        need: { fn: MEMBERS, level: "inquire" },
        handler: (req, ctx) => itemReply(req, apiMemberView(apiMemberOf(req, ctx))),
      },
      // PUT replaces the whole object: fields left out are cleared.
      PUT: {
        need: { fn: MEMBERS, level: "edit" },
        handler: (req, ctx) => {
          const member = apiMemberOf(req, ctx);
          return save(req, ctx, member, checkedFields(req.body, ctx, member));
        },
      },
      PATCH: {
        need: { fn: MEMBERS, level: "edit" },
        handler: (req, ctx) => {
          const member = apiMemberOf(req, ctx);
          const patched = applyPatch("apiMember", member.fields, req.body, API_MEMBER_RULES);
          return save(req, ctx, member, checkedFields(patched, ctx, member));
        },
      },
    },
  },
];
