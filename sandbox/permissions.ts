// Authorisation: an operation names the module function and level it needs (see routes/*.ts
// and the table in README.md); the caller's role must have that level above None. "My" counts
// as allowed: the sandbox does not model record ownership. An inactive or missing role has no
// rights. adminFlag grants nothing by itself; the seeded Admin role has every level All.

import { Level } from "../catalog";
import { security } from "./errors";
import type { Caller, Need } from "./routing";
import { Store, levelField } from "./store";

export function levelOf(store: Store, caller: Caller, fn: string, need: Need["level"]): Level {
  const role = caller.role;
  if (!role || role.inactiveFlag) return "None";
  const setting = store.settingFor(role, fn);
  return setting ? setting[levelField(need)] : "None";
}

/** Throws 403 Security unless the caller's role grants `need`. */
export function authorize(store: Store, caller: Caller, need: Need | undefined): void {
  if (need && levelOf(store, caller, need.fn, need.level) === "None") throw security();
}
