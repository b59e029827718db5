// /system/mySecurity: the calling member's own role settings, and its customize items. The
// only customize list modelled is Table Setup: the role's "Allow access to these" entries, shown
// only while the role's System/Table Setup inquire level is not None; an admin role sees every
// entry. itemIdentifier is the entry as the UI lists it, "Category / Table" (the real format is
// not published).

import { TABLE_SETUP_ENTRIES } from "../../catalog";
import { MY_SECURITY, MY_SECURITY_CUSTOMIZE_ITEM } from "../fieldTypes";
import { listReply } from "../listing";
import { levelOf } from "../permissions";
import { Route } from "../routing";
import { customizeItemView, memberRef, settingView } from "../views";

export const mySecurityRoutes: Route[] = [
  {
    pattern: "/system/mySecurity",
    operations: {
      GET: {
        handler: (req) => {
          const role = req.caller.role;
          const member = memberRef(req.caller.member);
          const rows = role ? role.settings.map((s) => ({ ...settingView(role, s), member })) : [];
          return listReply(req, rows, MY_SECURITY);
        },
      },
    },
  },
  {
    pattern: "/system/mySecurity/customizeItems",
    operations: {
      GET: {
        handler: (req, ctx) => {
          const role = req.caller.role;
          let entries: readonly string[] = [];
          if (role && !role.inactiveFlag) {
            if (role.adminFlag) entries = TABLE_SETUP_ENTRIES;
            else if (levelOf(ctx.store, req.caller, "System/Table Setup", "inquire") !== "None")
              entries = role.tableSetup;
          }
          return listReply(req, entries.map(customizeItemView), MY_SECURITY_CUSTOMIZE_ITEM);
        },
      },
    },
  },
];
