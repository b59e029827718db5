// Handlers of the ApiMember dynamic resource: an API member (/system/apiMembers) with its role,
// corporate structure level, business unit, location and default territory given by name and
// resolved to the tenant's ids. The API has no DELETE for members: delete deactivates.
//
// Field mapping (inferred from the UI's fields; the vendor does not document it):
//   level -> structureLevel, businessUnit -> defaultDepartment, location -> securityLocation
//   and defaultLocation, defaultTerritory -> salesDefaultLocation, securityRole -> securityRole,
//   email -> emailAddress.

import type * as pulumi from "@pulumi/pulumi";
import type { ConnectWiseClient } from "./connectwise/client";
import { eq } from "./connectwise/conditions";
import { ConnectWiseError } from "./connectwise/errors";
import { ApiMemberSchema } from "./connectwise/schemas";
import type { ApiMember, PatchOperation } from "./connectwise/schemas";
import { LookupKind, lookupName, requireName } from "./lookups";
import {
  ArgsOf,
  InputsOf,
  checker,
  email,
  fieldFirst,
  flag,
  goneIsDone,
  optionalText,
  resourceLabel,
  text,
} from "./handlerKit";
import * as session from "./session";

export interface ApiMemberOutputs extends ApiMemberInputs {
  memberId: number;
  inactive: boolean;
}

/** The inputs written to the member (identifier is the natural key, adopt only steers create). */
type MappedField = Exclude<keyof ApiMemberInputs, "identifier" | "adopt">;

/** How an input field is written: API fields (a reference when `lookup` is set). */
interface FieldMapping {
  input: MappedField;
  api: string[];
  lookup?: LookupKind;
}

const MAPPINGS: FieldMapping[] = [
  { input: "name", api: ["name"] },
  { input: "email", api: ["emailAddress"] },
  { input: "notes", api: ["notes"] },
  { input: "securityRole", api: ["securityRole"], lookup: "securityRole" },
  { input: "level", api: ["structureLevel"], lookup: "level" },
  { input: "businessUnit", api: ["defaultDepartment"], lookup: "businessUnit" },
  { input: "location", api: ["securityLocation", "defaultLocation"], lookup: "location" },
  { input: "defaultTerritory", api: ["salesDefaultLocation"], lookup: "location" },
];

const TYPE = "ApiMember";
const label = (identifier: unknown): string => resourceLabel(TYPE, identifier);

/**
 * The input shape of an ApiMember (resources/apiMember.ts derives its args from it) and its
 * rules; names of tenant data are checked against the tenant in check() and come out in the
 * tenant's spelling.
 */
const FIELDS = {
  /** Member ID, at most 15 characters. Changing it replaces the member (a new one is created, the old one deactivated). */
  identifier: text({ max: 15 }),
  /** Member name, at most 30 characters. */
  name: text({ max: 30 }),
  /** Email address (emailAddress), at most 250 characters. */
  email: email({ max: 250 }),
  /** Name of the security role the member holds, e.g. a SecurityRole's `name` output. */
  securityRole: text({ max: 30 }),
  /** Corporate structure level name, e.g. "Corporate" (structureLevel). */
  level: text(),
  /** Business unit (department) name, e.g. "Admin" (defaultDepartment). */
  businessUnit: text(),
  /** Location name (securityLocation and defaultLocation). */
  location: text(),
  /** Default territory: a location name (salesDefaultLocation). */
  defaultTerritory: text(),
  /** Free-text notes on the member; leaving it out after setting it clears the notes. */
  notes: optionalText(),
  /**
   * Take over an API member that already exists with this identifier (it is updated to these
   * values and reactivated). Without it, an existing identifier fails the create.
   */
  adopt: flag(),
};

/** The checked inputs; names are in the tenant's spelling. */
export type ApiMemberInputs = InputsOf<typeof FIELDS>;
/** What users write (resources/apiMember.ts). */
export type ApiMemberArgs = ArgsOf<typeof FIELDS>;

/** Normalises and validates; the only requests are the (cached) level, business unit and location lookups. */
export const check = checker({
  voice: fieldFirst((news) => label(news.identifier)),
  fields: FIELDS,
  across: async ({ inputs, valid, fail }) => {
    // Names of the tenant's reference data (not the role: it may be created in this same update).
    const lookups = MAPPINGS.filter((m) => m.lookup && m.input !== "securityRole" && valid.has(m.input));
    if (lookups.length === 0) return;
    const client = await session.connect();
    for (const mapping of lookups) {
      const result = await lookupName(client, mapping.lookup!, mapping.input, inputs[mapping.input] as string);
      if ("unknown" in result) fail(mapping.input, result.unknown);
      else inputs[mapping.input] = result.found.name;
    }
  },
});

/** Compares inputs only: no request. */
export function diff(_id: string, olds: ApiMemberOutputs, news: ApiMemberInputs): Promise<pulumi.dynamic.DiffResult> {
  const replaces = olds.identifier === news.identifier ? [] : ["identifier"];
  const changed = changedMappings(olds, news).length > 0 || olds.inactive === true;
  return Promise.resolve({ changes: replaces.length > 0 || changed, replaces, deleteBeforeReplace: false });
}

export async function create(inputs: ApiMemberInputs): Promise<pulumi.dynamic.CreateResult> {
  const client = await session.connect();
  const resource = label(inputs.identifier);
  const desired = await apiValues(client, inputs, MAPPINGS, resource);

  const [existing] = await client.list("/system/apiMembers", ApiMemberSchema, {
    conditions: eq("identifier", inputs.identifier),
  });
  if (existing) {
    if (!inputs.adopt) {
      throw new Error(
        `${resource}: an API member with identifier "${existing.identifier}" already exists on ${client.tenant} ` +
          `(id ${existing.id}, name "${existing.name ?? ""}"); set adopt: true to take it over`,
      );
    }
    const operations = operationsAgainst(existing, desired);
    const member =
      operations.length > 0
        ? await client.patch(`/system/apiMembers/${memberIdOf(existing)}`, operations, ApiMemberSchema)
        : existing;
    return { id: String(memberIdOf(member)), outs: outputs(inputs, member) };
  }

  try {
    const member = await client.post(
      "/system/apiMembers",
      { identifier: inputs.identifier, ...desired },
      ApiMemberSchema,
    );
    return { id: String(memberIdOf(member)), outs: outputs(inputs, member) };
  } catch (err) {
    // Identifiers are shared with full members, which the apiMembers lookup does not list.
    if (err instanceof ConnectWiseError && err.errors.some((e) => e.code === "ObjectExists")) {
      throw new Error(
        `${resource}: ConnectWise refused the identifier "${inputs.identifier}": a member with that identifier already exists on ` +
          `${client.tenant} (a full member cannot be adopted as an API member; choose another identifier). ${err.message}`,
        { cause: err },
      );
    }
    throw err;
  }
}

export async function read(id: string, props: ApiMemberOutputs): Promise<pulumi.dynamic.ReadResult> {
  const client = await session.connect();
  const member = await client.getOrUndefined(`/system/apiMembers/${id}`, ApiMemberSchema);
  if (!member) return { id: "" };
  const securityLocation = member.securityLocation?.name ?? "";
  const defaultLocation = member.defaultLocation?.name ?? "";
  // `location` is written to both fields; when they disagree, report the one that drifted.
  const location =
    securityLocation === defaultLocation || securityLocation !== props.location ? securityLocation : defaultLocation;
  const inputs: ApiMemberInputs = {
    identifier: member.identifier,
    name: member.name ?? "",
    email: member.emailAddress ?? "",
    securityRole: member.securityRole?.name ?? "",
    level: member.structureLevel?.name ?? "",
    businessUnit: member.defaultDepartment?.name ?? "",
    location,
    defaultTerritory: member.salesDefaultLocation?.name ?? "",
    ...(member.notes || props.notes !== undefined ? { notes: member.notes ?? "" } : {}),
    ...(props.adopt !== undefined ? { adopt: props.adopt } : {}),
  };
  return { id, props: outputs(inputs, member), inputs };
}

export async function update(
  id: string,
  olds: ApiMemberOutputs,
  news: ApiMemberInputs,
): Promise<pulumi.dynamic.UpdateResult> {
  const client = await session.connect();
  const resource = label(news.identifier);
  const operations = toOperations(await apiValues(client, news, changedMappings(olds, news), resource));
  if (olds.inactive) operations.push({ op: "replace", path: "inactiveFlag", value: false });
  if (operations.length === 0) return { outs: { ...news, memberId: olds.memberId, inactive: olds.inactive } };
  const member = await client.patch(`/system/apiMembers/${id}`, operations, ApiMemberSchema);
  return { outs: outputs(news, member) };
}

/** The API cannot delete members: the member is deactivated, so its keys stop authenticating. */
export async function remove(id: string, _props: ApiMemberOutputs): Promise<void> {
  const client = await session.connect();
  // A member already gone is the state delete asks for.
  await goneIsDone(
    client.patch(`/system/apiMembers/${id}`, [{ op: "replace", path: "inactiveFlag", value: true }], ApiMemberSchema),
  );
}

export const provider: Required<pulumi.dynamic.ResourceProvider> = {
  configure: session.configure,
  check,
  diff,
  create,
  read,
  update,
  delete: remove,
};

/** Fields whose value differs; names of tenant data compare case-insensitively, as ConnectWise matches them. */
function changedMappings(olds: Partial<ApiMemberInputs>, news: ApiMemberInputs): FieldMapping[] {
  const comparable = (m: FieldMapping, value: string | undefined) =>
    m.lookup ? (value ?? "").toLowerCase() : (value ?? "");
  return MAPPINGS.filter((m) => comparable(m, olds[m.input]) !== comparable(m, news[m.input]));
}

type ApiValue = string | { id: number };

/** The API fields for `mappings`, names resolved to ids (an unknown name throws, naming the ones that exist). */
async function apiValues(
  client: ConnectWiseClient,
  inputs: ApiMemberInputs,
  mappings: FieldMapping[],
  resource: string,
): Promise<Record<string, ApiValue>> {
  const values: Record<string, ApiValue> = {};
  for (const mapping of mappings) {
    const text = inputs[mapping.input] ?? "";
    const value: ApiValue = mapping.lookup
      ? { id: (await requireName(client, mapping.lookup, mapping.input, text, resource)).id }
      : text;
    for (const field of mapping.api) values[field] = value;
  }
  return values;
}

function toOperations(values: Record<string, ApiValue>): PatchOperation[] {
  return Object.entries(values).map(([field, value]) =>
    typeof value === "string"
      ? { op: "replace", path: field, value }
      : { op: "replace", path: `${field}/id`, value: value.id },
  );
}

/** The operations that bring a live member to `desired`, active. */
function operationsAgainst(live: ApiMember, desired: Record<string, ApiValue>): PatchOperation[] {
  const current = live as Record<string, unknown>;
  const differing = Object.fromEntries(
    Object.entries(desired).filter(([field, value]) =>
      typeof value === "string"
        ? (current[field] ?? "") !== value
        : (current[field] as { id?: number } | undefined)?.id !== value.id,
    ),
  );
  const operations = toOperations(differing);
  if (live.inactiveFlag) operations.push({ op: "replace", path: "inactiveFlag", value: false });
  return operations;
}

function memberIdOf(member: ApiMember): number {
  if (member.id === undefined)
    throw new Error(`${TYPE} ${member.identifier}: ConnectWise answered without the member's id`);
  return member.id;
}

function outputs(inputs: ApiMemberInputs, member: ApiMember): ApiMemberOutputs {
  return { ...inputs, memberId: memberIdOf(member), inactive: member.inactiveFlag === true };
}
