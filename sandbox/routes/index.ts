// Every /apis/3.0 route the sandbox knows.

import { Route } from "../routing";
import { apiMemberRoutes } from "./apiMembers";
import { lookupRoutes } from "./lookups";
import { memberRoutes } from "./members";
import { mySecurityRoutes } from "./mySecurity";
import { securityRoleRoutes } from "./securityRoles";
import { systemRoutes } from "./system";

export const API_ROUTES: Route[] = [
  ...systemRoutes,
  ...securityRoleRoutes,
  ...apiMemberRoutes,
  ...memberRoutes,
  ...mySecurityRoutes,
  ...lookupRoutes,
];
