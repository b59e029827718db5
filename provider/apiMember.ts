// Handlers of the ApiMember dynamic resource: an API member (/system/apiMembers) with its role,
// corporate structure level, business unit, location and default territory given by name and
// resolved to the tenant's ids. The API has no DELETE for members: delete deactivates a member
// the stack created and releases an adopted one as it is. diff reads the live member (one GET), so
// preview shows drift made by hand without a refresh. The stack's ownership marker is the last
// line of the member's notes (the only free-text field of the published ApiMember schema).
//
// Field mapping (inferred from the UI's fields; the vendor does not document it):
//   level -> structureLevel, businessUnit -> defaultDepartment, location -> securityLocation
//   and defaultLocation, defaultTerritory -> salesDefaultLocation, securityRole -> securityRole,
//   email -> emailAddress.

import type * as pulumi from "@pulumi/pulumi";
import { MEMBER_IDENTIFIER_MAX, MEMBER_NAME_MAX, ROLE_NAME_MAX } from "../catalog";
import type { ConnectWiseClient } from "../connectwise/client";
import { apiMember, createApiMember, memberByIdentifier, patchApiMember } from "../connectwise/endpoints";
import { ConnectWiseError } from "../connectwise/errors";
import type { ApiMember, PatchOperation } from "../connectwise/schemas";
import { LookupKind } from "./lookups";
import { memberRecord } from "./reads";
import {
  ArgsOf,
  CheckContext,
  InputsOf,
  email,
  field,
  fieldFirst,
  flag,
  goneIsDone,
  isUnknown,
  optionalText,
  resourceLabel,
  text,
} from "./handlerKit";
import {
  DetailedDiff,
  DiffResult,
  HandlerContext,
  InputDiff,
  diffResult,
  inputDetails,
  NaturalKey,
  createOrRecover,
  lifecycle,
  sameName,
  sameText,
} from "./kit/lifecycle";
import { driftRecord, notice, resourceOf } from "../review/records";
import { report } from "./report";

/** The reference fields, whose tenant ids are kept in the outputs (`refs`). */
type LookupField = "securityRole" | "level" | "businessUnit" | "location" | "defaultTerritory";

export interface ApiMemberOutputs extends ApiMemberInputs {
  memberId: number;
  inactive: boolean;
  /** True when the stack took over a member it did not create: destroy then leaves it as it is. */
  adopted: boolean;
  /** The tenant ids the names resolved to, so an unchanged name is not looked up again. */
  refs: Partial<Record<LookupField, number>>;
}

/** The inputs written to the member (identifier is the natural key; the rest steer create and delete). */
type MappedField = Exclude<keyof ApiMemberInputs, "identifier" | "adopt" | "owner" | "deactivateAdopted">;

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
/** The resource as its review records name it. */
const ref = (identifier: unknown) => resourceOf(TYPE, identifier);

// ---- Ownership marker ------------------------------------------------------------------------
// The published ApiMember schema has one free-text field, `notes`; the marker is its last line,
// below whatever notes the program declares, so a member tells which stack manages it.

const MARKER = "managed by connectwise-iac: ";
const ADOPTED = " (adopted)";
// What destroy leaves in place of the marker on the member it deactivates: the stack no longer
// holds it, so no other stack is blocked, and the same owner may take it back.
const RELEASED = "released by connectwise-iac: ";
const RELEASED_AT = / at (\S+)$/;

/** `managed by connectwise-iac: <project>/<stack>/<resource name>`, plus ` (adopted)` when the stack took it over. */
export function ownerMarker(owner: string, adopted: boolean): string {
  return `${MARKER}${owner}${adopted ? ADOPTED : ""}`;
}

/** `released by connectwise-iac: <owner>[ (adopted)] at <ISO time>`: the marker once destroy deactivated the member. */
export function releasedMarker(owner: string, adopted: boolean, at: Date): string {
  return `${RELEASED}${owner}${adopted ? ADOPTED : ""} at ${at.toISOString()}`;
}

/**
 * A member's notes split into the declared part and the marker (owner undefined: no marker).
 * `released` when the last marker is a released one: `owner` then is who held it, not who holds it.
 */
export function splitNotes(notes: string | undefined): {
  user: string;
  owner?: string;
  adopted: boolean;
  released: boolean;
} {
  const lines = (notes ?? "").split(/\r?\n/);
  let at = lines.length - 1;
  while (at >= 0 && !lines[at].startsWith(MARKER) && !lines[at].startsWith(RELEASED)) at--;
  if (at < 0) return { user: notes ?? "", adopted: false, released: false };
  const released = lines[at].startsWith(RELEASED);
  let mark = lines[at].slice((released ? RELEASED : MARKER).length).trimEnd();
  if (released) mark = mark.replace(RELEASED_AT, "");
  const adopted = mark.endsWith(ADOPTED);
  const user = [...lines.slice(0, at), ...lines.slice(at + 1)].join("\n").trimEnd();
  return { user, owner: adopted ? mark.slice(0, -ADOPTED.length) : mark, adopted, released };
}

/** The notes the member should carry: the declared notes, then the marker (none without an owner). */
function notesFor(inputs: ApiMemberInputs, adopted: boolean): string {
  const user = inputs.notes ?? "";
  if (!inputs.owner) return user;
  const mark = ownerMarker(inputs.owner, adopted);
  return user ? `${user}\n${mark}` : mark;
}

/** What create may do with a member that already has this identifier. */
type Claim =
  { take: true; adopted: boolean; how: "adopts existing" | "takes back its own" } | { take: false; reason: string };

function claimOf(existing: ApiMember, inputs: ApiMemberInputs, tenant: string): Claim {
  const mark = splitNotes(existing.notes);
  const where = `${tenant} (id ${existing.id}, name "${existing.name ?? ""}")`;
  if (mark.owner !== undefined) {
    if (inputs.owner !== undefined && mark.owner === inputs.owner)
      return { take: true, adopted: mark.adopted, how: "takes back its own" };
  }
  if (mark.owner !== undefined && !mark.released) {
    return {
      take: false,
      reason:
        `API member "${existing.identifier}" on ${where} is managed by another stack: ${mark.owner}; ` +
        `adopt never takes over a member another stack manages. Remove it from that stack, or delete the line ` +
        `"${MARKER}${mark.owner}..." from its notes (System > Members > API Members > ${existing.identifier}) to release it`,
    };
  }
  if (!inputs.adopt)
    return {
      take: false,
      reason:
        `an API member with identifier "${existing.identifier}" already exists on ${where}` +
        (mark.released ? ` (released by ${mark.owner}, which no longer holds it)` : "") +
        `; set adopt: true to take it over`,
    };
  // Without an owner (a handler caller that predates it) nothing is marked, so nothing tells
  // whose the member is: the take-over counts as the stack's own, as before markers existed.
  return { take: true, adopted: inputs.owner !== undefined, how: "adopts existing" };
}

/**
 * The input shape of an ApiMember (resources/apiMember.ts derives its args from it) and its
 * rules; names of tenant data are checked against the tenant in check() and come out in the
 * tenant's spelling.
 */
const FIELDS = {
  /** Member ID, at most 15 characters. Changing it replaces the member (a new one is created, the old one deactivated). */
  identifier: field(text({ max: MEMBER_IDENTIFIER_MAX }), { replaces: true }),
  /** Member name, at most 30 characters. */
  name: field(text({ max: MEMBER_NAME_MAX }), { same: sameText }),
  /** Email address (emailAddress), at most 250 characters. */
  email: field(email({ max: 250 }), { same: sameText }),
  /** Name of the security role the member holds, e.g. a SecurityRole's `name` output. */
  securityRole: field(text({ max: ROLE_NAME_MAX }), { same: sameName }),
  /** Corporate structure level name, e.g. "Corporate" (structureLevel). */
  level: field(text(), { same: sameName }),
  /** Business unit (department) name, e.g. "Admin" (defaultDepartment). */
  businessUnit: field(text(), { same: sameName }),
  /** Location name (securityLocation and defaultLocation). */
  location: field(text(), { same: sameName }),
  /** Default territory: a location name (salesDefaultLocation). */
  defaultTerritory: field(text(), { same: sameName }),
  /**
   * Free-text notes on the member; leaving it out after setting it clears the notes. The
   * stack's ownership marker is kept on a last line of its own below them.
   */
  notes: field(optionalText(), { same: sameText }),
  /**
   * Take over an API member that already exists with this identifier and carries no other
   * stack's marker (it is updated to these values and reactivated). Without it, an existing
   * identifier fails, unless the member is this stack's own (its marker names this resource).
   */
  adopt: field(flag(), { same: "ignored" }),
  /**
   * Destroy deactivates the member even though the stack adopted it. By default an adopted
   * member is released as it is (left active and unchanged).
   */
  deactivateAdopted: flag(),
  /**
   * Who manages the member, `<project>/<stack>/<resource name>`, written as the marker in its
   * notes. Set by the ApiMember class (not an argument users write).
   */
  owner: optionalText(),
};

/** The checked inputs; names are in the tenant's spelling. */
export type ApiMemberInputs = InputsOf<typeof FIELDS>;
/** What users write (resources/apiMember.ts); the owner comes from the program's project and stack. */
export type ApiMemberArgs = Omit<ArgsOf<typeof FIELDS>, "owner">;

const namesMatch = (a: unknown, b: unknown): boolean =>
  typeof a === "string" && typeof b === "string" && a.trim().toLowerCase() === b.trim().toLowerCase();

/**
 * The rules across fields of check(). A name unchanged since the last run is not looked up again;
 * other names are looked up (cached per context). A new member (no olds) with an owner or adopt
 * costs one lookup by identifier: another stack's member is refused; otherwise a line says which
 * member `up` takes over (adopts, or takes back its own) and which fields it will change.
 */
async function acrossFields(
  { inputs, valid, fail }: CheckContext,
  olds: Record<string, unknown>,
  context: HandlerContext,
): Promise<void> {
  // Names of the tenant's reference data (not the role: it may be created in this same update).
  const lookups = MAPPINGS.filter((m) => m.lookup && m.input !== "securityRole" && valid.has(m.input)).filter((m) => {
    if (!namesMatch(olds[m.input], inputs[m.input])) return true;
    inputs[m.input] = olds[m.input]; // already checked, in the tenant's spelling
    return false;
  });
  const creating = olds.identifier === undefined && valid.has("identifier");
  if (lookups.length === 0 && !creating) return;
  const client = await context.connect();
  // Independent lookups go out together; failures are reported in table order.
  const results = await Promise.all(
    lookups.map((mapping) =>
      context.lookups.lookupName(client, mapping.lookup!, mapping.input, inputs[mapping.input] as string),
    ),
  );
  lookups.forEach((mapping, i) => {
    const result = results[i];
    if ("unknown" in result) fail(mapping.input, result.unknown);
    else inputs[mapping.input] = result.found.name;
  });
  if (!creating) return;
  const checked = inputs as ApiMemberInputs;
  if (checked.owner === undefined && !checked.adopt) return; // nothing to claim, nothing to refuse
  const existing = await memberByIdentifier(client, checked.identifier);
  if (!existing) return;
  const state = existing.inactiveFlag ? "inactive" : "active";
  const claim = claimOf(existing, checked, client.tenant);
  if (!claim.take) {
    // Another stack's member is refused now; one made by hand is left to create (adopt may be added).
    const mark = splitNotes(existing.notes);
    if (mark.owner !== undefined && !mark.released) return fail("identifier", claim.reason);
    report(
      notice(
        ref(checked.identifier),
        `existing member ${existing.id} (${state}) was not made by this stack: ${claim.reason}`,
      ),
    );
    return;
  }
  const changes: string[] = differences(existing, checked, notesFor(checked, claim.adopted)).map(
    (d) => d.mapping.input,
  );
  if (existing.inactiveFlag) changes.push("active");
  report(
    notice(
      ref(checked.identifier),
      `${claim.how} member ${existing.id} (${state}); ` +
        `up will change: ${changes.length > 0 ? changes.join(", ") : "nothing"}`,
    ),
  );
}

/**
 * Compares the inputs and the live member: one GET of the member by id (none when the identifier
 * changes, which replaces it anyway). Each field that differs live from what is declared is one
 * drift line; `detailedDiff` names the fields.
 */
async function diff(
  context: HandlerContext,
  id: string,
  olds: ApiMemberOutputs,
  news: ApiMemberInputs,
  input: InputDiff,
): Promise<DiffResult> {
  const subject = ref(news.identifier);
  if (input.replaces.length > 0) return diffResult(true, input.replaces, inputDetails(input.replaces));

  // Names of tenant data compare case-insensitively, as ConnectWise matches them (the table's flags).
  const changedInputs = input.changed.filter((name) => !STEERING.includes(name));
  const details: DetailedDiff = {
    ...inputDetails(changedInputs),
    ...inputDetails(
      input.changed.filter((name) => STEERING.includes(name)),
      olds,
    ),
  };

  const client = await context.connect();
  const live = await memberRecord(client, id);
  if (!live) {
    report(driftRecord(subject, undefined, "missing", "present"));
    return diffResult(true, ["memberId"], { memberId: { kind: "add", inputDiff: false } });
  }
  for (const difference of differences(live, news, notesFor(news, olds.adopted === true))) {
    const name = difference.mapping.input;
    // An input change (a new owner rewrites the marker in the notes) is shown by the engine itself.
    if (changedInputs.includes(name) || (name === "notes" && olds.owner !== news.owner)) continue;
    if (name === "securityRole" && roleRenamed(live, olds)) {
      // The member is still on the role the last up gave it: the role was renamed by hand (the
      // API cannot rename roles; the role's own diff reads only its levels). Drift of the role.
      report({
        ...driftRecord(resourceOf("SecurityRole", news.securityRole), "name", difference.live, difference.declared),
        remedy: `rename it back to ${difference.declared} in System > Security Roles > ${difference.live}`,
      });
      continue;
    }
    report(driftRecord(subject, name, difference.live, difference.declared));
    details[name] = { kind: "update", inputDiff: false };
  }
  if (live.inactiveFlag) {
    report(driftRecord(subject, undefined, "inactive", "active"));
    details.inactive = { kind: "update", inputDiff: false };
  }
  return diffResult(Object.keys(details).length > 0, [], details);
}

/** Whether the live member's role is the one the last up set (same id) under another name. */
function roleRenamed(live: ApiMember, olds: ApiMemberOutputs): boolean {
  const id = olds.refs?.securityRole;
  return id !== undefined && live.securityRole?.id === id && !namesMatch(live.securityRole?.name, olds.securityRole);
}

/** Inputs that steer what the stack does with the member, not the member itself. */
const STEERING = ["owner", "deactivateAdopted"];

/** A member is known by its identifier (shared with full members, which the apiMembers list does not show). */
const NATURAL_KEY: NaturalKey<ApiMemberInputs, ApiMember> = {
  noun: "member",
  absent: (inputs) => `no API member "${inputs.identifier}"`,
  find: (client, inputs) => memberByIdentifier(client, inputs.identifier),
};

/**
 * Finds the member by identifier, else POSTs it. A member that exists is taken over when this
 * resource may claim it (adopt, or its own marker), else refused. After a POST whose answer was
 * lost, the member found is the one this POST made when its notes carry this resource's marker
 * (written by that POST); anything else is refused as any existing member is.
 */
async function create(context: HandlerContext, inputs: ApiMemberInputs): Promise<pulumi.dynamic.CreateResult> {
  const client = await context.connect();
  const resource = label(inputs.identifier);
  const subject = ref(inputs.identifier);
  const claimed = async (found: ApiMember, claim: Claim & { take: true }) => {
    const member = await converge(context, client, found, inputs, claim.adopted, undefined, resource);
    return { id: String(memberIdOf(member)), outs: outputs(inputs, member, claim.adopted) };
  };
  const desired: Record<string, ApiValue> = {};
  return createOrRecover(NATURAL_KEY, client, inputs, {
    label: resource,
    existing: (existing) => {
      const claim = claimOf(existing, inputs, client.tenant);
      if (!claim.take) throw new Error(`${resource}: ${claim.reason}`);
      return claimed(existing, claim);
    },
    prepare: async () => {
      for (const mapping of MAPPINGS) {
        const value = await valueOf(context, client, mapping, inputs, notesFor(inputs, false), undefined, resource);
        for (const name of mapping.api) desired[name] = value;
      }
    },
    post: async () => {
      const member = await createApiMember(client, { identifier: inputs.identifier, ...desired });
      return { id: String(memberIdOf(member)), outs: outputs(inputs, member, false) };
    },
    // Identifiers are shared with full members, which the apiMembers lookup does not list; an API
    // member of the identifier made meanwhile (another stack racing this one) is named with its owner.
    refused: async (err) => {
      if (!(err instanceof ConnectWiseError && err.errors.some((e) => e.code === "ObjectExists"))) return undefined;
      const racing = await memberByIdentifier(client, inputs.identifier).catch(() => undefined);
      const claim = racing && claimOf(racing, { ...inputs, adopt: false }, client.tenant);
      if (racing && claim)
        return new Error(
          `${resource}: ConnectWise refused the identifier "${inputs.identifier}": an API member of that identifier was made ` +
            `meanwhile (id ${racing.id}). ${claim.take ? "It carries this stack's own marker: run up again to take it back" : claim.reason}`,
          { cause: err },
        );
      return new Error(
        `${resource}: ConnectWise refused the identifier "${inputs.identifier}": a full member with that identifier exists on ` +
          `${client.tenant} (a full member cannot be adopted as an API member; choose another identifier). ${err.message}`,
        { cause: err },
      );
    },
    take: (found, why, error) => {
      const claim = claimOf(found, inputs, client.tenant);
      if (!claim.take)
        throw new Error(`${resource}: the POST that creates the member got no answer (${why}). ${claim.reason}`, {
          cause: error,
        });
      report(
        notice(
          subject,
          `the answer to the POST that creates the member was lost; member ${found.id} ${claim.how === "takes back its own" ? "carries this stack's marker: it is the one the POST created" : "is adopted"}`,
        ),
      );
      return claimed(found, claim);
    },
  });
}

/** Refresh: the live member in the input shape; its reference ids become the kept `refs`. */
async function read(context: HandlerContext, id: string, props: ApiMemberOutputs): Promise<pulumi.dynamic.ReadResult> {
  const client = await context.connect();
  const member = await memberRecord(client, id);
  if (!member) return { id: "" };
  const securityLocation = member.securityLocation?.name ?? "";
  const defaultLocation = member.defaultLocation?.name ?? "";
  // `location` is written to both fields; when they disagree, report the one that drifted.
  const location =
    securityLocation === defaultLocation || securityLocation !== props.location ? securityLocation : defaultLocation;
  const notes = splitNotes(member.notes).user;
  const inputs: ApiMemberInputs = {
    identifier: member.identifier,
    name: member.name ?? "",
    email: member.emailAddress ?? "",
    securityRole: member.securityRole?.name ?? "",
    level: member.structureLevel?.name ?? "",
    businessUnit: member.defaultDepartment?.name ?? "",
    location,
    defaultTerritory: member.salesDefaultLocation?.name ?? "",
    ...(notes || props.notes !== undefined ? { notes } : {}),
    ...(props.adopt !== undefined ? { adopt: props.adopt } : {}),
    ...(props.deactivateAdopted !== undefined ? { deactivateAdopted: props.deactivateAdopted } : {}),
    ...(props.owner !== undefined ? { owner: props.owner } : {}),
  };
  return { id, props: outputs(inputs, member, props.adopted === true), inputs };
}

/** Brings the live member to the inputs: one GET, then one PATCH of only what differs (if anything). */
async function update(
  context: HandlerContext,
  id: string,
  olds: ApiMemberOutputs,
  news: ApiMemberInputs,
): Promise<pulumi.dynamic.UpdateResult> {
  const client = await context.connect();
  const resource = label(news.identifier);
  const live = await apiMember(client, id);
  if (!live)
    throw new Error(`${resource}: API member ${id} no longer exists on ${client.tenant}; run pulumi refresh, then up`);
  const adopted = olds.adopted === true;
  const member = await converge(context, client, live, news, adopted, olds, resource);
  return { outs: outputs(news, member, adopted) };
}

/**
 * Deactivates (the API cannot delete members): a member this stack created stops
 * authenticating. An adopted one is released as it is (the release policy) unless
 * deactivateAdopted is set. In the same PATCH the marker becomes a released one, so the
 * stack holds the member no longer: another stack may adopt it, this one may take it back.
 */
async function remove(context: HandlerContext, id: string, props: ApiMemberOutputs): Promise<void> {
  const keeps = props.adopted === true && !props.deactivateAdopted;
  if (keeps && !props.owner) return announceRelease(id, props, false);
  const client = await context.connect();
  const operations: PatchOperation[] = keeps ? [] : [{ op: "replace", path: "inactiveFlag", value: true }];
  if (props.owner) {
    const mark = releasedMarker(props.owner, props.adopted === true, new Date());
    const user = props.notes ?? "";
    operations.push({ op: "replace", path: "notes", value: user ? `${user}\n${mark}` : mark });
  }
  // A member already gone is the state delete asks for.
  await goneIsDone(patchApiMember(client, id, operations));
  if (keeps) announceRelease(id, props, true);
}

/**
 * An adopted member is released as it is (active, its fields unchanged) unless deactivateAdopted
 * is set; only its marker becomes a released one, so it blocks no other stack.
 */
function announceRelease(id: string, props: ApiMemberOutputs, marked: boolean): void {
  report(
    notice(
      ref(props.identifier),
      `released as it is: member ${id} was adopted, not created by this stack, so it stays active ` +
        `and unchanged in ConnectWise` +
        (marked ? ` but for its notes' last line, now "${RELEASED}${props.owner ?? ""}${ADOPTED} at <time>"` : "") +
        ` (set deactivateAdopted: true before destroying to deactivate it instead)`,
    ),
  );
}

export const provider = lifecycle<ApiMemberInputs, ApiMemberOutputs>({
  type: TYPE,
  fields: FIELDS,
  voice: fieldFirst((n) => label(n.identifier)),
  across: acrossFields,
  // An adopted member is released in remove(): its marker becomes a released one.
  diff,
  create,
  read,
  update,
  delete: remove,
});

interface Difference {
  mapping: FieldMapping;
  /** The API fields that differ (location has two). */
  api: string[];
  live: string;
  declared: string;
}

/** Where the live member differs from the inputs, by name (no lookup); values still unknown are skipped. */
function differences(live: ApiMember, inputs: ApiMemberInputs, notes: string): Difference[] {
  const current = live as Record<string, unknown>;
  const result: Difference[] = [];
  for (const mapping of MAPPINGS) {
    const declared = mapping.input === "notes" ? notes : inputs[mapping.input];
    if (typeof declared !== "string" || isUnknown(declared)) continue;
    const liveOf = (field: string): string =>
      mapping.lookup
        ? ((current[field] as { name?: string } | undefined)?.name ?? "")
        : ((current[field] as string | undefined) ?? "");
    const api = mapping.api.filter((field) =>
      mapping.lookup ? !namesMatch(liveOf(field), declared) : liveOf(field) !== declared,
    );
    if (api.length > 0) result.push({ mapping, api, live: liveOf(api[0]), declared });
  }
  return result;
}

type ApiValue = string | { id: number };

/**
 * The API value of one field. A reference's id comes from `kept` (the outputs of the last run)
 * when its name did not change, else from a lookup (roles are always looked up: the same run may
 * replace them). An unknown name throws, naming the ones that exist.
 */
async function valueOf(
  context: HandlerContext,
  client: ConnectWiseClient,
  mapping: FieldMapping,
  inputs: ApiMemberInputs,
  notes: string,
  kept: ApiMemberOutputs | undefined,
  resource: string,
): Promise<ApiValue> {
  if (mapping.input === "notes") return notes;
  const name = inputs[mapping.input] ?? "";
  if (!mapping.lookup) return name;
  const keptId = kept?.refs?.[mapping.input as LookupField];
  if (mapping.lookup !== "securityRole" && keptId !== undefined && namesMatch(kept?.[mapping.input], name))
    return { id: keptId };
  return { id: (await context.lookups.requireName(client, mapping.lookup, mapping.input, name, resource)).id };
}

/** One PATCH of what differs between `live` and the inputs (and reactivation), or none. */
async function converge(
  context: HandlerContext,
  client: ConnectWiseClient,
  live: ApiMember,
  inputs: ApiMemberInputs,
  adopted: boolean,
  kept: ApiMemberOutputs | undefined,
  resource: string,
): Promise<ApiMember> {
  const notes = notesFor(inputs, adopted);
  const operations: PatchOperation[] = [];
  for (const difference of differences(live, inputs, notes)) {
    const value = await valueOf(context, client, difference.mapping, inputs, notes, kept, resource);
    for (const field of difference.api)
      operations.push(
        typeof value === "string"
          ? { op: "replace", path: field, value }
          : { op: "replace", path: `${field}/id`, value: value.id },
      );
  }
  if (live.inactiveFlag) operations.push({ op: "replace", path: "inactiveFlag", value: false });
  if (operations.length === 0) return live;
  return patchApiMember(client, memberIdOf(live), operations);
}

function memberIdOf(member: ApiMember): number {
  if (member.id === undefined)
    throw new Error(`${TYPE} ${member.identifier}: ConnectWise answered without the member's id`);
  return member.id;
}

function outputs(inputs: ApiMemberInputs, member: ApiMember, adopted: boolean): ApiMemberOutputs {
  const refs: ApiMemberOutputs["refs"] = {};
  const ids: [LookupField, { id?: number | null } | undefined][] = [
    ["securityRole", member.securityRole],
    ["level", member.structureLevel],
    ["businessUnit", member.defaultDepartment],
    ["location", member.securityLocation],
    ["defaultTerritory", member.salesDefaultLocation],
  ];
  for (const [field, reference] of ids) if (typeof reference?.id === "number") refs[field] = reference.id;
  return { ...inputs, memberId: memberIdOf(member), inactive: member.inactiveFlag === true, adopted, refs };
}
