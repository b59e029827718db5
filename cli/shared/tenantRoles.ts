// A tenant's security roles with their levels, and its API members: what discover and
// access-audit read before matching roles against the integrations' tables (cli/shared/roleMatch.ts).
// GET requests only.
import { ConnectWiseClient } from "../../connectwise/client";
import { ConnectWiseError } from "../../connectwise/errors";
import { listApiMembers, listSecurityRoles, roleSettings } from "../../connectwise/endpoints";
import type { ApiMember, SecurityRole } from "../../connectwise/schemas";
import { liveLevels } from "../../catalog";
import type { LiveLevels } from "../../catalog";

/**
 * A role as read: the role and its levels per "Module/Function" (catalog/permissions.ts
 * liveLevels); `levels` undefined and `unknown` saying why when its settings came back in a
 * shape the client refuses (the role's levels are unknown, never guessed).
 */
export type LiveRole = { role: SecurityRole; levels: LiveLevels; unknown?: undefined } | UnknownRole;
export interface UnknownRole {
  role: SecurityRole;
  levels?: undefined;
  unknown: string;
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
        try {
          return { role, levels: liveLevels(await roleSettings(client, role.id!)) };
        } catch (error) {
          // One role's wrong-shaped answer makes that role unknown, not the whole run fail.
          if (error instanceof ConnectWiseError && error.code === "InvalidResponse")
            return { role, unknown: error.message };
          throw error;
        }
      }),
  );
  return { roles: live, apiMembers };
}
