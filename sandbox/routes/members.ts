// /system/members: list, count, get by identifier (or numeric id), deactivate, and the token
// endpoint that mints temporary keys for a member. Creating or editing full members (POST,
// PUT, PATCH) is in the spec but not implemented here (501): this project never does it.

import { invalidObject, notFound } from "../errors";
import { MEMBER } from "../fieldTypes";
import { countReply, itemReply, listReply } from "../listing";
import { ApiRequest, Route, SandboxContext } from "../routing";
import { MemberRecord } from "../store";
import { memberView } from "../views";

const MEMBERS = "System/Member Maintenance";

/** By identifier first (case-insensitive), then by numeric id. */
function memberOf(req: ApiRequest, ctx: SandboxContext, param: string): MemberRecord {
  const key = req.params[param];
  const member =
    ctx.store.memberByIdentifier(key) ?? (/^\d{1,9}$/.test(key) ? ctx.store.members.get(Number(key)) : undefined);
  if (!member) throw notFound(`Member ${key}`);
  return member;
}

const allMembers = (ctx: SandboxContext) => [...ctx.store.members.values()].map(memberView);

export const memberRoutes: Route[] = [
  {
    pattern: "/system/members",
    operations: {
      GET: { need: { fn: MEMBERS, level: "inquire" }, handler: (req, ctx) => listReply(req, allMembers(ctx), MEMBER) },
    },
    notImplemented: ["POST"],
  },
  {
    pattern: "/system/members/count",
    operations: {
      GET: { need: { fn: MEMBERS, level: "inquire" }, handler: (req, ctx) => countReply(req, allMembers(ctx), MEMBER) },
    },
  },
  {
    pattern: "/system/members/{memberIdentifier}",
    operations: {
      GET: {
        need: { fn: MEMBERS, level: "inquire" },
        handler: (req, ctx) => itemReply(req, memberView(memberOf(req, ctx, "memberIdentifier"))),
      },
    },
    notImplemented: ["PUT", "PATCH"],
  },
  {
    pattern: "/system/members/{id}/deactivate",
    operations: {
      POST: {
        need: { fn: MEMBERS, level: "edit" },
        handler: (req, ctx) => {
          if (!/^\d{1,9}$/.test(req.params.id)) throw notFound(`Member ${req.params.id}`);
          const member = ctx.store.members.get(Number(req.params.id));
          if (!member) throw notFound(`Member ${req.params.id}`);
          const body = req.body;
          if (body === null || typeof body !== "object" || Array.isArray(body)) {
            throw invalidObject("memberDeactivation", [
              { code: "InvalidObject", message: "The request body must be a MemberDeactivation object", field: "" },
            ]);
          }
          const flag = (body as Record<string, unknown>).deleteOpenTimeSheetsFlag;
          if (flag !== undefined && flag !== null && typeof flag !== "boolean") {
            throw invalidObject("memberDeactivation", [
              {
                code: "InvalidField",
                message: "deleteOpenTimeSheetsFlag must be true or false",
                field: "deleteOpenTimeSheetsFlag",
              },
            ]);
          }
          if (member.id === req.caller.member.id) {
            throw invalidObject("memberDeactivation", [
              { code: "InvalidObject", message: "A member cannot deactivate itself", field: "id" },
            ]);
          }
          if (member.fields.inactiveFlag !== true) {
            const now = ctx.now();
            ctx.store.replaceMemberFields(
              member,
              { ...member.fields, inactiveFlag: true, inactiveDate: now.toISOString() },
              now,
              String(req.caller.member.fields.identifier),
            );
          }
          // The spec answers with the MemberDeactivation itself.
          return { status: 200, body };
        },
      },
    },
  },
  {
    pattern: "/system/members/{memberIdentifier}/tokens",
    operations: {
      POST: {
        need: { fn: MEMBERS, level: "add" },
        handler: (req, ctx) => {
          const member = memberOf(req, ctx, "memberIdentifier");
          if (member.fields.inactiveFlag === true) {
            throw invalidObject("token", [
              {
                code: "InvalidObject",
                message: `Member ${String(member.fields.identifier)} is inactive`,
                field: "memberIdentifier",
              },
            ]);
          }
          const now = ctx.now();
          ctx.store.purgeExpiredTokens(now);
          const expiration = new Date(now.getTime() + ctx.store.tokenLifetimeSeconds * 1000);
          const pair = ctx.store.addKey(member.id, "token", "token", now, expiration);
          return {
            status: 200,
            body: { publicKey: pair.publicKey, privateKey: pair.privateKey, expiration: expiration.toISOString() },
          };
        },
      },
    },
  },
];
