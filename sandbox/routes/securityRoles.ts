// /system/securityroles (list, create, count, get, delete, info) and the read-only settings
// under /system/securityRoles/{parentId}/settings. No PUT/PATCH anywhere here: the published
// API cannot change a role or its permission levels.

import { invalidObject, notFound } from "../errors";
import { SECURITY_ROLE, SECURITY_ROLE_INFO, SECURITY_ROLE_SETTING } from "../fieldTypes";
import { countReply, itemReply, listReply } from "../listing";
import { ApiRequest, Route, SandboxContext, intParam } from "../routing";
import { RoleRecord } from "../store";
import { Rules, objectExists, validateBody } from "../validation";
import { memberRef, roleInfoView, roleView, settingView } from "../views";

const SECURITY = "System/Security";
const ROLE_RULES: Rules = {
  name: { type: "string", max: 30, format: "name" },
  roleType: { type: "string", max: 30 },
  adminFlag: { type: "boolean" },
  inactiveFlag: { type: "boolean" },
};

function roleOf(req: ApiRequest, ctx: SandboxContext, param: string): RoleRecord {
  const id = intParam(req, param, "Security role");
  const role = ctx.store.roles.get(id);
  if (!role) throw notFound(`Security role ${id}`);
  return role;
}

const allRoles = (ctx: SandboxContext) => [...ctx.store.roles.values()];

export const securityRoleRoutes: Route[] = [
  {
    pattern: "/system/securityroles",
    operations: {
      GET: {
        need: { fn: SECURITY, level: "inquire" },
        handler: (req, ctx) => listReply(req, allRoles(ctx).map(roleView), SECURITY_ROLE),
      },
      POST: {
        need: { fn: SECURITY, level: "add" },
        handler: (req, ctx) => {
          const body = validateBody(req.body, {
            resource: "securityRole",
            rules: ROLE_RULES,
            store: ctx.store,
            required: ["name"],
          });
          const name = body.name as string;
          if (ctx.store.roleByName(name)) throw objectExists("securityRole", "name", name);
          const role = ctx.store.createRole(
            {
              name,
              roleType: body.roleType as string | undefined,
              adminFlag: body.adminFlag as boolean | undefined,
              inactiveFlag: body.inactiveFlag as boolean | undefined,
            },
            ctx.now(),
            String(req.caller.member.fields.identifier),
          );
          return itemReply(req, roleView(role), 201);
        },
      },
    },
  },
  {
    pattern: "/system/securityroles/count",
    operations: {
      GET: {
        need: { fn: SECURITY, level: "inquire" },
        handler: (req, ctx) => countReply(req, allRoles(ctx).map(roleView), SECURITY_ROLE),
      },
    },
  },
  {
    pattern: "/system/securityroles/info",
    operations: {
      GET: {
        need: { fn: SECURITY, level: "inquire" },
        handler: (req, ctx) => listReply(req, allRoles(ctx).map(roleInfoView), SECURITY_ROLE_INFO),
      },
    },
  },
  {
    pattern: "/system/securityroles/info/count",
    operations: {
      GET: {
        need: { fn: SECURITY, level: "inquire" },
        handler: (req, ctx) => countReply(req, allRoles(ctx).map(roleInfoView), SECURITY_ROLE_INFO),
      },
    },
  },
  {
    pattern: "/system/securityroles/{id}",
    operations: {
      GET: {
        need: { fn: SECURITY, level: "inquire" },
        handler: (req, ctx) => itemReply(req, roleView(roleOf(req, ctx, "id"))),
      },
      DELETE: {
        need: { fn: SECURITY, level: "delete" },
        handler: (req, ctx) => {
          const role = roleOf(req, ctx, "id");
          const users = ctx.store.activeMembersOf(role);
          if (users.length > 0) {
            const names = users.map((m) => memberRef(m).identifier).join(", ");
            throw invalidObject("securityRole", [
              {
                code: "ObjectInUse",
                message: `Security role '${role.name}' is assigned to active members: ${names}`,
                field: "id",
              },
            ]);
          }
          ctx.store.deleteRole(role, ctx.now(), String(req.caller.member.fields.identifier));
          return { status: 204 };
        },
      },
    },
  },
  {
    pattern: "/system/securityroles/{id}/info",
    operations: {
      GET: {
        need: { fn: SECURITY, level: "inquire" },
        handler: (req, ctx) => itemReply(req, roleInfoView(roleOf(req, ctx, "id"))),
      },
    },
  },
  {
    pattern: "/system/securityRoles/{parentId}/settings",
    operations: {
      GET: {
        need: { fn: SECURITY, level: "inquire" },
        handler: (req, ctx) => {
          const role = roleOf(req, ctx, "parentId");
          return listReply(
            req,
            role.settings.map((s) => settingView(role, s)),
            SECURITY_ROLE_SETTING,
          );
        },
      },
    },
  },
  {
    pattern: "/system/securityRoles/{parentId}/settings/count",
    operations: {
      GET: {
        need: { fn: SECURITY, level: "inquire" },
        handler: (req, ctx) => {
          const role = roleOf(req, ctx, "parentId");
          return countReply(
            req,
            role.settings.map((s) => settingView(role, s)),
            SECURITY_ROLE_SETTING,
          );
        },
      },
    },
  },
  {
    pattern: "/system/securityRoles/{parentId}/settings/{id}",
    operations: {
      GET: {
        need: { fn: SECURITY, level: "inquire" },
        handler: (req, ctx) => {
          const role = roleOf(req, ctx, "parentId");
          const id = intParam(req, "id", "Security role setting");
          const setting = ctx.store.setting(role.id, id);
          if (!setting) throw notFound(`Security role setting ${id}`);
          return itemReply(req, settingView(role, setting));
        },
      },
    },
  },
];
