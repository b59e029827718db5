// Name -> id lookups for the tenant's reference data that API members point at: corporate
// structure levels, business units (departments), locations (also used as territories) and
// security roles. Levels, business units and locations are read once per tenant per provider
// context (a name that is not found triggers one re-read, e.g. a location added by hand since);
// roles are read every time, because the same `pulumi up` creates, replaces and deletes them.

import { didYouMean } from "../catalog";
import type { ConnectWiseClient } from "../connectwise/client";
import { NamedItem, NamedList, callingMember, namedItems } from "../connectwise/endpoints";

export type LookupKind = "level" | "businessUnit" | "location" | "securityRole";
export type { NamedItem };

interface LookupSource {
  list: NamedList;
  /** What the list holds, for messages ("corporate structure levels"). */
  plural: string;
  /** Where the operator finds it in the Manage UI. */
  where: string;
  /** Read once per context; false: read at every lookup. */
  cached: boolean;
}

const SOURCES: Record<LookupKind, LookupSource> = {
  level: {
    list: "corporateStructureLevels",
    plural: "corporate structure levels",
    where: "System > Setup Tables > Corporate Structure",
    cached: true,
  },
  businessUnit: {
    list: "departments",
    plural: "business units",
    where: "System > Setup Tables > Business Unit",
    cached: true,
  },
  location: { list: "locations", plural: "locations", where: "System > Setup Tables > Location", cached: true },
  securityRole: {
    list: "securityRoles",
    plural: "security roles",
    where: "System > Security Roles",
    cached: false,
  },
};

function match(items: NamedItem[], name: string): NamedItem | undefined {
  const wanted = name.trim().toLowerCase();
  return items.find((item) => item.name.toLowerCase() === wanted);
}

export type LookupResult = { found: NamedItem } | { unknown: string };

/** The tenant's reference lists, read once per tenant (a provider context holds one). */
export class Lookups {
  readonly #cache = new Map<string, Promise<NamedItem[]>>();

  private fetchList(client: ConnectWiseClient, kind: LookupKind): Promise<NamedItem[]> {
    const key = `${client.tenant}\u0000${kind}`;
    const pending = namedItems(client, SOURCES[kind].list);
    this.#cache.set(key, pending);
    // A failed read is not cached: the next lookup tries again.
    pending.catch(() => {
      if (this.#cache.get(key) === pending) this.#cache.delete(key);
    });
    return pending;
  }

  private cachedList(client: ConnectWiseClient, kind: LookupKind): Promise<NamedItem[]> {
    return this.#cache.get(`${client.tenant}\u0000${kind}`) ?? this.fetchList(client, kind);
  }

  /**
   * The tenant's item called `name` (case-insensitive; `found.name` is the tenant's spelling), or
   * `unknown`: a sentence naming the value, the names that exist and the closest ones, e.g.
   * `level "Corprate" is not one of the corporate structure levels on sandbox at 127.0.0.1:4000;
   * did you mean "Corporate"? Known corporate structure levels: Corporate, Region (System > Setup Tables > Corporate Structure)`.
   */
  async lookupName(client: ConnectWiseClient, kind: LookupKind, field: string, name: string): Promise<LookupResult> {
    if (SOURCES[kind].cached) {
      const hit = match(await this.cachedList(client, kind), name);
      if (hit) return { found: hit };
    }
    const items = await this.fetchList(client, kind);
    const fresh = match(items, name);
    if (fresh) return { found: fresh };
    const names = items.map((item) => item.name);
    const suggestions = didYouMean(name.trim(), names);
    const hint = suggestions.length > 0 ? `; did you mean ${suggestions.map((s) => `"${s}"`).join(" or ")}?` : ".";
    const source = SOURCES[kind];
    const known = names.length > 0 ? names.join(", ") : "none";
    return {
      unknown: `${field} "${name}" is not one of the ${source.plural} on ${client.tenant}${hint} Known ${source.plural}: ${known} (${source.where})`,
    };
  }

  /** Like lookupName, but an unknown name throws an Error whose message starts with `resource`. */
  async requireName(
    client: ConnectWiseClient,
    kind: LookupKind,
    field: string,
    name: string,
    resource: string,
  ): Promise<NamedItem> {
    const result = await this.lookupName(client, kind, field, name);
    if ("unknown" in result) throw new Error(`${resource}: ${result.unknown}`);
    return result.found;
  }
}

/**
 * The identifier of the member the client authenticates as: mySecurity needs no permission and
 * names the calling member on every row (one row is enough).
 */
export async function callerIdentifier(client: ConnectWiseClient): Promise<string> {
  const identifier = await callingMember(client);
  if (!identifier)
    throw new Error(`/system/mySecurity on ${client.tenant} named no member: cannot tell who the stack connects as`);
  return identifier;
}
