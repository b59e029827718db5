// The live reads that diff() and read() of several resources need, written once so that the
// same question is the same request: under our provider server a sharing client
// (ConnectWiseClient.sharingReads) sends each of them once per engine operation, whichever
// resource asks first. A no-op preview of an integration then costs one read per thing that can
// drift: the role's settings, the member's record, one call as the key (which is also the Table
// Setup check made as that member).

import type { ConnectWiseClient } from "../connectwise/client";
import { apiMember, myCustomizeItems, roleSettings, securityRole } from "../connectwise/endpoints";
import { ConnectWiseError } from "../connectwise/errors";
import type { ApiMember, MySecurityCustomizeItem, SecurityRoleSetting } from "../connectwise/schemas";

/** The customize list the Table Setup allow-list is. */
export const TABLE_SETUP = "SystemTableSetup";

/** An API member's record by id (ApiMember diff and read, TableSetupAccess diff and read); undefined when gone. */
export function memberRecord(client: ConnectWiseClient, memberId: number | string): Promise<ApiMember | undefined> {
  return apiMember(client.sharingReads(), memberId);
}

/**
 * The Table Setup entries the key's member may use, read as that member: the one call a key costs
 * (ApiKey diff and read: it authenticates or answers 401) and the Table Setup check
 * (TableSetupAccess diff and read). A ConnectWiseError 401 means the key does not authenticate.
 */
export function tableSetupItems(
  client: ConnectWiseClient,
  publicKey: string,
  privateKey: string,
): Promise<MySecurityCustomizeItem[]> {
  return myCustomizeItems(client.sharingReads().asMember(publicKey, privateKey), TABLE_SETUP);
}

/**
 * A role's settings, one page of 1000 (every module function), or undefined when the role is
 * gone. The settings of a deleted role answer 404 (the sandbox does; the spec lists only 200),
 * so the role's own record is read only when the list comes back empty, which no existing role
 * does (a role has a setting per module function): then it tells a gone role from an empty one.
 */
export async function roleSettingsOrGone(
  client: ConnectWiseClient,
  roleId: number,
): Promise<SecurityRoleSetting[] | undefined> {
  const shared = client.sharingReads();
  let settings: SecurityRoleSetting[];
  try {
    settings = await roleSettings(shared, roleId);
  } catch (error) {
    if (error instanceof ConnectWiseError && error.status === 404) return undefined;
    throw error;
  }
  if (settings.length > 0) return settings;
  return (await securityRole(shared, roleId)) ? settings : undefined;
}
