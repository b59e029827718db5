// A tenant's security roles with their levels, and its API members: what discover and
// access-audit read before matching roles against the integrations' tables (cli/shared/roleMatch.ts).
// GET requests only.
import { ConnectWiseClient } from "../../connectwise/client";
import { listApiMembers, listSecurityRoles, roleSettings } from "../../connectwise/endpoints";
import type { ApiMember, SecurityRole } from "../../connectwise/schemas";
import { liveLevels } from "../../catalog";
import type { LiveLevels } from "../../catalog";

/** A role as read: the role and its levels per "Module/Function" (catalog/permissions.ts liveLevels). */
export interface LiveRole {
  role: SecurityRole;
  levels: LiveLevels;
}

/** Every role (by name) with its settings page, and every API member (by identifier). */
export async function readRoles(client: ConnectWiseClient): Promise<{ roles: LiveRole[]; apiMembers: ApiMember[] }> {
  const [roles, apiMembers] = await Promise.all([
    listSecurityRoles(client, { orderBy: "name asc" }),
    listApiMembers(client, { orderBy: "identifier asc" }),
  ]);
  // Concurrently: the client's per-tenant limit bounds the requests in flight.
  const live = await Promise.all(
    roles
      .filter((role) => role.id !== undefined)
      .map(async (role): Promise<LiveRole> => {
        const settings = await roleSettings(client, role.id!);
        return { role, levels: liveLevels(settings) };
      }),
  );
  return { roles: live, apiMembers };
}
