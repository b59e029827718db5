// Handlers of the ApiKey dynamic resource: a key pair an integration authenticates with.
// source "token": minted by POST /system/members/{member}/tokens (the only key-issuing endpoint
// the published API has); such keys expire, so diff replaces the key once its expiration is
// within `rotateBefore` (the new key is created before the old one leaves the state).
// source "console": a persistent key the operator made in System > Members > API Keys, given as
// (secret) inputs and verified by authenticating with it.
// The published API can neither list nor revoke keys: diff (so preview, without a refresh) and
// read check that the key still authenticates, and delete tells the operator where to revoke it;
// a console key is adopted (the stack did not make it) and released as it is. No message carries key
// material beyond the public key's last four characters.
// A token POST whose answer is lost may have minted a live key the stack never received: create
// keeps the resource in the state without a key (a partial failure recording the attempt), and
// the next preview and up say so (member, time, where to revoke; the last four characters are not
// known) before update mints a new key; the attempt stays in `unanswered`, which the stack's
// OperatorChecklist lists in the runbook, until such a token would have expired.

import { createHash } from "crypto";
import type * as pulumi from "@pulumi/pulumi";
import { MEMBER_IDENTIFIER_MAX } from "../catalog";
import type { ConnectWiseClient } from "../connectwise/client";
import { callingMember, memberByIdentifier, mintToken } from "../connectwise/endpoints";
import { ConnectWiseError, outcomeUnknown } from "../connectwise/errors";
import {
  type DriftRecord,
  type ResourceRef,
  type UnansweredToken,
  driftRecord,
  notice,
  resourceOf,
} from "../review/records";
import { revokeWhere, unansweredTokenText } from "../review/renderLine";
import type { Token } from "../connectwise/schemas";
import { parseDuration } from "./duration";
import {
  ArgsOf,
  CheckContext,
  InputsOf,
  PartialFailure,
  accept,
  field,
  fieldFirst,
  isUnknown,
  judgedAcross,
  oneOf,
  optionalText,
  reject,
  resourceLabel,
  rule,
  text,
} from "./handlerKit";
import {
  DetailedDiff,
  DiffResult,
  HandlerContext,
  InputDiff,
  diffResult,
  inputDetails,
  lifecycle,
} from "./kit/lifecycle";
import { type JournalEntry, RUN, drop, record, recordsOf, release, runOf, settle } from "./kit/journal";
import { tableSetupItems } from "./reads";
import { report } from "./report";

const TYPE = "ApiKey";
const SOURCES = ["token", "console"] as const;
export type KeySource = (typeof SOURCES)[number];

const label = (member: unknown): string => resourceLabel(TYPE, member, "for member ");
/** The resource as its review records name it. */
const ref = (member: unknown) => resourceOf(TYPE, member, "for member ");
/** The public key's last four characters: enough to find the key in the UI, too little to use it. */
const keyHint = (publicKey: string): string => `public key ending "...${publicKey.slice(-4)}"`;

/** The input shape of an ApiKey (resources/apiKey.ts derives its args from it) and its rules. */
const FIELDS = {
  /** Identifier of the member the key belongs to, e.g. an ApiMember's `identifier` output. */
  member: field(
    text({
      max: MEMBER_IDENTIFIER_MAX,
      tooLong: (member, max) =>
        `member "${member}" has ${member.length} characters; member identifiers have at most ${max}`,
    }),
    { replaces: true },
  ),
  /** What the key is for; changing it replaces the key. */
  description: field(text(), { replaces: true }),
  /**
   * "token" (default): minted through POST /system/members/{member}/tokens; such keys expire
   * and are replaced `rotateBefore` ahead of their expiration. "console": a persistent key made
   * by the operator in System > Members > API Members > {member} > API Keys, given as `publicKey` and
   * `privateKey` and verified by authenticating with it.
   */
  source: field(
    oneOf(SOURCES, {
      default: "token",
      reason: (value) =>
        `source ${JSON.stringify(value)} is not allowed; use "token" (minted through the API) or "console" (a key made in ${revokeWhere("<member>")})`,
    }),
    { replaces: true },
  ),
  /** With source "console" only: the key's public key. */
  publicKey: field(judgedAcross<string>(), { replaces: isConsole, secret: true }),
  /** With source "console" only: the key's private key (kept secret in the state). */
  privateKey: field(judgedAcross<string>(), { replaces: isConsole, secret: true }),
  /**
   * How long before its expiration a token is replaced by a new one: days, hours or minutes,
   * e.g. "7d" (default), "12h", "30m", "1d12h". Checked at every preview and up.
   */
  /**
   * Who makes the key, `<project>/<stack>/<resource name>` (resources/apiKey.ts sets it): the
   * create journal's record of each token POST names it, so a token minted by a run that died is
   * reported by the next one.
   */
  owner: field(optionalText(), { same: "ignored" }),
  rotateBefore: rule<string, string, "defaulted">(
    "defaulted",
    (value) =>
      typeof value === "string" && parseDuration(value) !== undefined
        ? accept(value.trim().toLowerCase())
        : reject(
            `rotateBefore ${JSON.stringify(value)} is not a duration; use days, hours or minutes such as "7d", "12h", "30m" or "1d12h"`,
          ),
    "7d",
  ),
};

/** The checked inputs. */
export type ApiKeyInputs = InputsOf<typeof FIELDS>;
/** What users write (resources/apiKey.ts). */
export type ApiKeyArgs = Omit<ArgsOf<typeof FIELDS>, "owner">;

export interface ApiKeyOutputs extends ApiKeyInputs {
  publicKey: string;
  privateKey: string;
  /** ISO time the token stops authenticating; "" for console keys (they do not expire). */
  expiration: string;
  /** The member the key authenticates as, as the tenant spells it. */
  memberIdentifier: string;
  /** True for a console key: the stack verifies it but did not make it, and destroy leaves it as it is. */
  adopted: boolean;
  /**
   * A console key: when this stack first verified it (ISO 8601), a lower bound of its age that the
   * guardrails' key policy holds against a configured maximum (the API tells no key's age).
   */
  verifiedSince?: string;
  /**
   * Token POSTs whose answer never arrived, each of which may have minted a key the stack never
   * received; kept until such a token would have expired. With no publicKey, the last mint is one.
   */
  unanswered?: UnansweredToken[];
}

/** The key inputs of a console key are the key: a new one replaces it. */
function isConsole(news: Record<string, unknown>): boolean {
  return news.source === "console";
}

/** check() makes no request. Key values are never echoed in a failure; the key inputs belong to console keys only. */
function across({ news, inputs, fail }: CheckContext): void {
  const member = typeof inputs.member === "string" ? inputs.member : "<member>";
  for (const name of ["publicKey", "privateKey"] as const) {
    const value = news[name];
    if (inputs.source === "console") {
      if (!isUnknown(value) && (typeof value !== "string" || value.trim() === "")) {
        fail(name, `${name} is required with source "console": set it to the key made in ${revokeWhere(member)}`);
      } else if (typeof value === "string" && !isUnknown(value)) inputs[name] = value.trim();
    } else if (inputs.source === "token" && value !== undefined) {
      fail(
        name,
        `${name} is only allowed with source "console"; with source "token" the key is minted through the API`,
      );
    }
  }
}

/**
 * Compares the inputs, the stored expiration and the live key: one request authenticated as the
 * key (none when the key is replaced anyway: a changed input, or a token due for rotation).
 * A key that no longer authenticates, or a token within rotateBefore of its expiration, is drift:
 * one line each, and the key is replaced.
 */
async function diff(
  context: HandlerContext,
  _id: string,
  olds: ApiKeyOutputs,
  news: ApiKeyInputs,
  input: InputDiff,
): Promise<DiffResult> {
  const subject = ref(news.member);
  const unanswered = olds.unanswered ?? [];
  reportUnanswered(subject, unanswered);
  await dropHeld(context.tenant(), olds);
  const died = await diedMints(context.tenant(), olds.member, olds.owner, olds);
  reportDied(subject, olds.member, died);
  if (!olds.publicKey) {
    // The last mint's answer was lost: update mints (a replacement's create could not carry the record).
    report(notice(subject, `no key in the state (the last token POST got no answer): up will mint a new key`));
    return diffResult(true);
  }
  // Everything but rotateBefore replaces the key (the table's flags; the key inputs only for a console key).
  const replaces = [...input.replaces];
  const details: DetailedDiff = inputDetails([...replaces, ...input.changed.filter((name) => name === "rotateBefore")]);
  if (replaces.length === 0) {
    if (news.source === "token" && expiresWithin(olds.expiration, news.rotateBefore)) {
      report(
        notice(
          subject,
          `drift: expires ${olds.expiration.slice(0, 10)} (within rotateBefore ${news.rotateBefore}): up will rotate it`,
        ),
      );
      replaces.push("expiration");
      details.expiration = { kind: "update", inputDiff: false };
    } else if (!(await authenticates(context, olds))) {
      const inactive = await memberInactive(context, news.member);
      if (inactive) {
        // An inactive member's keys answer 401 too: up reactivates the member (its ApiMember
        // reports that drift) before it comes to the key, and checks the key again then.
        report(
          notice(
            subject,
            `not checked: member ${news.member} is inactive, so its key answers 401; up reactivates the member first, then checks the key again`,
          ),
        );
      } else {
        report(revoked(subject, news));
        replaces.push("publicKey");
        details.publicKey = { kind: "update", inputDiff: false };
      }
    }
  }
  // A record past its expiry is dropped by update; a died run's token is added to the state by it.
  if (current(unanswered).length !== unanswered.length || died.length > 0)
    details.unanswered = { kind: "update", inputDiff: false };
  return diffResult(Object.keys(details).length > 0, replaces, details);
}

/** The drift of a key that answers 401 while its member is active: revoked by hand (or expired early). */
function revoked(subject: ResourceRef, inputs: Pick<ApiKeyInputs, "member" | "source">): DriftRecord {
  const remedy =
    inputs.source === "token"
      ? "up mints a new key; give the integration the new key (the stack's outputs hold it)"
      : `make a new key in ${revokeWhere(inputs.member)} and set it as publicKey and privateKey; up fails until then`;
  return { ...driftRecord(subject, "key", "revoked (answers 401)", "authenticates"), remedy };
}

/** Whether the key's member exists and is inactive (one read, made only after a 401). */
async function memberInactive(context: HandlerContext, member: string): Promise<boolean> {
  const client = await context.connect();
  const found = await memberByIdentifier(client.sharingReads(), member);
  return found?.inactiveFlag === true;
}

/** The records of tokens that may still work: those not known to have expired. */
function current(unanswered: UnansweredToken[], now = Date.now()): UnansweredToken[] {
  return unanswered.filter((token) => !token.expiresBy || Date.parse(token.expiresBy) > now);
}

/** One line per token that may have been minted unseen, each time the stack runs. */
function reportUnanswered(subject: ResourceRef, unanswered: UnansweredToken[]): void {
  for (const token of current(unanswered))
    report(
      notice(
        subject,
        `unanswered token: a key may exist that this stack never received: ${unansweredTokenText(token)}`,
      ),
    );
}

/**
 * POST /system/members/{member}/tokens. When the answer is lost the token may exist: the failure
 * keeps the resource in the state without a key, recording the attempt (a partial failure with `id`).
 */
async function mint(
  client: ConnectWiseClient,
  inputs: ApiKeyInputs & Record<string, unknown>,
  id: string | undefined,
  earlier: UnansweredToken[],
): Promise<{ token: Token; unanswered: UnansweredToken[] }> {
  // The evidence first: no token is asked for unless its record is written (a run that dies
  // after the POST leaves it for the next one to report).
  const posted = await record({ kind: TYPE, tenant: client.tenant, key: inputs.member, owner: inputs.owner ?? "" });
  const sentAt = new Date(posted.at);
  let token: Token;
  try {
    token = await mintToken(client, inputs.member);
  } catch (error) {
    if (!outcomeUnknown(error)) {
      // A refusal minted nothing: its record is no evidence of anything.
      await drop(posted);
      throw error;
    }
    // The record stays until the state's `unanswered` holds this attempt (diff drops it then).
    const attempt: UnansweredToken = { member: inputs.member, at: sentAt.toISOString() };
    const unanswered = [...earlier, attempt];
    const message =
      `${label(inputs.member)}: the token POST got no answer (${(error as Error).message}); it may have minted a key this stack never received. ` +
      `${unansweredTokenText(attempt)}. The next up mints a new key; the runbook lists this one.`;
    const properties: ApiKeyOutputs & Record<string, unknown> = {
      ...inputs,
      publicKey: "",
      privateKey: "",
      expiration: "",
      memberIdentifier: inputs.member,
      adopted: false,
      unanswered,
    };
    throw new PartialFailure(message, id ?? `${inputs.member}/unanswered-${sentAt.getTime()}`, properties, [message]);
  }
  await settle(posted, { id: keyId(inputs.member, token.publicKey), hint: token.publicKey.slice(-4) });
  // The tenant's token lifetime, now known, bounds how long an unanswered token can work.
  const lifetime = Date.parse(token.expiration) - sentAt.getTime();
  const unanswered = earlier.map((t) =>
    t.expiresBy || Number.isNaN(lifetime)
      ? t
      : { ...t, expiresBy: new Date(Date.parse(t.at) + lifetime).toISOString() },
  );
  return { token, unanswered };
}

// ---- Tokens of runs that died ---------------------------------------------------------------
// Every token POST is recorded in the create journal before it is sent, and the record names the
// key once the answer arrives. A record of this resource written by another provider process (an
// earlier run: the stack lock allows one at a time) that names no key the state holds is a token
// that may be live unknown to the state: the POST was sent and the run died before the answer
// (no key named) or before the state save (a key named: it exists for certain).

/** This resource's token records from runs that died, which the state (olds) does not hold. */
async function diedMints(tenant: string, member: string, owner: string | undefined, olds?: ApiKeyOutputs) {
  const records = await recordsOf(TYPE, tenant, member);
  const heldId = olds?.publicKey ? keyId(olds.member, olds.publicKey) : undefined;
  const inState = new Set((olds?.unanswered ?? []).map((t) => t.at));
  return records.filter(
    (r) => r.owner === (owner ?? "") && r.run !== RUN && (r.id === undefined || r.id !== heldId) && !inState.has(r.at),
  );
}

/** A died run's token as the state and the runbook keep it. */
function asUnanswered(member: string, entry: JournalEntry): UnansweredToken {
  return { member, at: entry.at, ...(entry.hint ? { hint: entry.hint } : {}) };
}

function reportDied(subject: ResourceRef, member: string, died: JournalEntry[]): void {
  for (const entry of died)
    report(
      notice(
        subject,
        `token of a run that died: ${entry.id ? "a key was minted" : "a key may have been minted"} by ${runOf(entry)} ` +
          `and never reached the state: ${unansweredTokenText(asUnanswered(member, entry))}; up mints a new key and the runbook lists this one`,
      ),
    );
}

/** Once the state holds them (as its key or in `unanswered`), the records are no longer needed. */
async function dropHeld(tenant: string, olds: ApiKeyOutputs): Promise<void> {
  const records = await recordsOf(TYPE, tenant, olds.member);
  const inState = new Set((olds.unanswered ?? []).map((t) => t.at));
  const heldId = olds.publicKey ? keyId(olds.member, olds.publicKey) : undefined;
  await Promise.all(
    records
      .filter(
        (r) =>
          r.owner === (olds.owner ?? "") &&
          r.run !== RUN &&
          (inState.has(r.at) || (r.id !== undefined && r.id === heldId)),
      )
      .map(drop),
  );
}

/**
 * Whether the stored key still authenticates: one request as the key, the Table Setup list of its
 * member (tableSetupItems), which a TableSetupAccess verified with this key reads too, so under
 * our provider server both are that one request. It needs no permission: a member without Table
 * Setup access gets an empty list; 401 is the only answer of a key that does not authenticate
 * (a 403 would still prove that it does).
 */
async function authenticates(context: HandlerContext, olds: ApiKeyOutputs): Promise<boolean> {
  if (!olds.publicKey || !olds.privateKey) return false;
  const client = await context.connect();
  try {
    await tableSetupItems(client, olds.publicKey, olds.privateKey);
    return true;
  } catch (err) {
    if (err instanceof ConnectWiseError && err.status === 401) return false;
    if (err instanceof ConnectWiseError && err.status === 403) return true;
    throw err;
  }
}

async function create(context: HandlerContext, inputs: ApiKeyInputs): Promise<pulumi.dynamic.CreateResult> {
  const client = await context.connect();
  if (inputs.source === "token") {
    // A token an earlier run minted (or may have) and never saved: said, and kept for the runbook.
    const died = await diedMints(client.tenant, inputs.member, inputs.owner);
    reportDied(ref(inputs.member), inputs.member, died);
    const { token, unanswered } = await mint(
      client,
      inputs,
      undefined,
      died.map((entry) => asUnanswered(inputs.member, entry)),
    );
    const outs = tokenOutputs(client, inputs, token, unanswered);
    return { id: keyId(inputs.member, token.publicKey), outs };
  }
  const publicKey = inputs.publicKey ?? "";
  const privateKey = inputs.privateKey ?? "";
  const resource = label(inputs.member);
  const subject = ref(inputs.member);
  const identifier = await authenticatedMember(client, publicKey, privateKey);
  if (identifier === undefined) {
    throw new Error(
      `${resource}: the console key (${keyHint(publicKey)}) does not authenticate on ${client.tenant}: it is mistyped, revoked, or its member is inactive. ` +
        `Make a key in ${revokeWhere(inputs.member)} and set publicKey and privateKey to it.`,
    );
  }
  if (identifier.toLowerCase() !== inputs.member.toLowerCase()) {
    throw new Error(
      `${resource}: the console key (${keyHint(publicKey)}) authenticates as member "${identifier}", not "${inputs.member}"; use a key of ${inputs.member}.`,
    );
  }
  // The stack did not make this key: it only verifies it, and destroy leaves it as it is.
  report(
    notice(
      subject,
      `adopts the console key (${keyHint(publicKey)}) of member ${identifier}; the published API cannot revoke or delete keys, so destroy will leave it working`,
    ),
  );
  const outs: ApiKeyOutputs = {
    ...inputs,
    publicKey,
    privateKey,
    expiration: "",
    memberIdentifier: identifier,
    adopted: true,
    verifiedSince: new Date().toISOString(),
  };
  return { id: keyId(inputs.member, publicKey), outs };
}

/** The outputs of a freshly minted token. */
function tokenOutputs(
  client: ConnectWiseClient,
  inputs: ApiKeyInputs,
  token: Token,
  unanswered: UnansweredToken[],
): ApiKeyOutputs {
  if (expiresWithin(token.expiration, inputs.rotateBefore)) {
    // A fresh token already inside the window would be replaced by every preview.
    report(
      notice(
        ref(inputs.member),
        `tokens on ${client.tenant} expire at ${token.expiration}, sooner than rotateBefore ${inputs.rotateBefore} from now: ` +
          "every preview will plan to replace this key; set rotateBefore shorter than the token lifetime",
      ),
    );
  }
  return {
    ...inputs,
    publicKey: token.publicKey,
    privateKey: token.privateKey,
    expiration: token.expiration,
    memberIdentifier: inputs.member,
    adopted: false,
    ...(unanswered.length > 0 ? { unanswered } : {}),
  };
}

/**
 * Present while the key authenticates; an expired, revoked or deactivated key is gone. A state
 * without a key (the last mint got no answer) is kept as it is, so the next up still reports it.
 * One request as the key (the same as diff's); whose key it is was settled when it was minted or
 * verified (a key never changes member), so only a state without `memberIdentifier` asks.
 */
async function read(context: HandlerContext, id: string, props: ApiKeyOutputs): Promise<pulumi.dynamic.ReadResult> {
  if (!props.publicKey) {
    const inputs: ApiKeyInputs = {
      member: props.member,
      description: props.description,
      source: props.source,
      rotateBefore: props.rotateBefore,
      ...(props.owner !== undefined ? { owner: props.owner } : {}),
    };
    return { id, props, inputs };
  }
  const inputs: ApiKeyInputs = {
    member: props.member,
    description: props.description,
    source: props.source,
    rotateBefore: props.rotateBefore,
    ...(props.owner !== undefined ? { owner: props.owner } : {}),
  };
  if (props.source === "console") Object.assign(inputs, { publicKey: props.publicKey, privateKey: props.privateKey });
  // An expired or revoked key stays in the state (the next up replaces it; dropping it would
  // lose what delete tells the operator); refresh reports it as drift.
  if (props.expiration && Date.parse(props.expiration) <= Date.now()) {
    report(driftRecord(ref(props.member), "key", `expired at ${props.expiration}`, "authenticates"));
    return { id, props, inputs };
  }
  const client = await context.connect();
  const identifier = props.memberIdentifier
    ? (await authenticates(context, props))
      ? props.memberIdentifier
      : undefined
    : await authenticatedMember(client, props.publicKey, props.privateKey);
  if (identifier === undefined) {
    if (await memberInactive(context, props.member))
      report(notice(ref(props.member), `not checked: member ${props.member} is inactive, so its key answers 401`));
    else report(revoked(ref(props.member), props));
    return { id, props, inputs };
  }
  return { id, props: { ...props, memberIdentifier: identifier, adopted: props.source === "console" }, inputs };
}

/**
 * Only rotateBefore can change in place (everything else replaces the key): nothing to send.
 * After a lost answer (no key in the state) it says so and mints a new key.
 */
async function update(
  context: HandlerContext,
  id: string,
  olds: ApiKeyOutputs,
  news: ApiKeyInputs & Record<string, unknown>,
): Promise<pulumi.dynamic.UpdateResult> {
  const client = await context.connect();
  const died = (await diedMints(client.tenant, olds.member, olds.owner, olds)).map((e) => asUnanswered(olds.member, e));
  const unanswered = [...current(olds.unanswered ?? []), ...died];
  if (!olds.publicKey && news.source === "token") {
    reportUnanswered(ref(news.member), unanswered);
    const minted = await mint(client, news, id, unanswered);
    return { outs: tokenOutputs(client, news, minted.token, minted.unanswered) };
  }
  const outs: ApiKeyOutputs = {
    ...news,
    publicKey: olds.publicKey,
    privateKey: olds.privateKey,
    expiration: olds.expiration,
    memberIdentifier: olds.memberIdentifier,
    adopted: olds.adopted ?? olds.source === "console",
    ...(olds.verifiedSince ? { verifiedSince: olds.verifiedSince } : {}),
    ...(unanswered.length > 0 ? { unanswered } : {}),
  };
  return { outs };
}

/** The published API can neither revoke nor delete a key: say so, and where the operator does it. */
function remove(context: HandlerContext, _id: string, props: ApiKeyOutputs): Promise<void> {
  const subject = ref(props.member);
  reportUnanswered(subject, props.unanswered ?? []);
  if (!props.publicKey) return Promise.resolve(); // no key was received: nothing else to say
  // The stack holds the key no longer: its journal records go (a later run must not report it as a died run's).
  release(
    { kind: TYPE, tenant: context.tenant(), key: props.member, owner: props.owner ?? "" },
    keyId(props.member, props.publicKey),
  );
  const key = `the key (${keyHint(props.publicKey)})`;
  const expiry = props.expiration ? ` It stops working by itself at ${props.expiration}.` : "";
  report(
    notice(
      subject,
      `removed from the stack; the published ConnectWise API cannot revoke keys, so ${key} ` +
        `still works until revoked in ${revokeWhere(props.member)}.${expiry}`,
    ),
  );
  return Promise.resolve();
}

/** Preview of a new token key: a token a died run minted (or may have) is said before up mints another (no request). */
async function afterCheck(
  result: pulumi.dynamic.CheckResult,
  olds: Record<string, unknown>,
  _news: Record<string, unknown>,
  context: HandlerContext,
): Promise<pulumi.dynamic.CheckResult> {
  const inputs = result.inputs as ApiKeyInputs | undefined;
  if (Object.keys(olds).length > 0 || result.failures?.length || !inputs || inputs.source !== "token") return result;
  if (typeof inputs.member !== "string" || isUnknown(inputs.member)) return result;
  let tenant: string;
  try {
    tenant = context.tenant();
  } catch {
    return result; // no connection configured yet: create says it
  }
  reportDied(ref(inputs.member), inputs.member, await diedMints(tenant, inputs.member, inputs.owner));
  return result;
}

export const provider = lifecycle<ApiKeyInputs, ApiKeyOutputs>({
  type: TYPE,
  fields: FIELDS,
  voice: fieldFirst((news) => label(news.member)),
  across,
  afterCheck,
  // A console key was made by the operator, not by this stack (a console key never has
  // unanswered mints: only tokens are minted).
  release: {
    keeps: (props) => !!props.publicKey && (props.adopted ?? props.source === "console"),
    announce: (_id, props) =>
      report(
        notice(
          ref(props.member),
          `released as it is: the key (${keyHint(props.publicKey)}) was made in the console, not by this stack, and the published ConnectWise API ` +
            `cannot revoke or delete keys; it keeps working until revoked in ${revokeWhere(props.member)}.`,
        ),
      ),
  },
  diff,
  create,
  read,
  update,
  delete: remove,
});

/** A stable id that reveals nothing of the key: member and a fingerprint of the public key. */
function keyId(member: string, publicKey: string): string {
  return `${member}/${createHash("sha256").update(publicKey).digest("hex").slice(0, 16)}`;
}

function expiresWithin(expiration: string | undefined, rotateBefore: string): boolean {
  const window = parseDuration(rotateBefore);
  if (!expiration || window === undefined) return false;
  return Date.parse(expiration) - Date.now() <= window;
}

/**
 * The identifier of the member the key authenticates as, or undefined when it does not (401).
 * mySecurity needs no permission and names the calling member on every row, so one row proves
 * the key works and says whose it is.
 */
async function authenticatedMember(
  client: ConnectWiseClient,
  publicKey: string,
  privateKey: string,
): Promise<string | undefined> {
  try {
    const identifier = await callingMember(client.asMember(publicKey, privateKey));
    if (!identifier)
      throw new Error(
        `${TYPE}: /system/mySecurity named no member for the key (${keyHint(publicKey)}); cannot tell whose key it is`,
      );
    return identifier;
  } catch (err) {
    if (err instanceof ConnectWiseError && err.status === 401) return undefined;
    throw err;
  }
}
