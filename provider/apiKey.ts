// Handlers of the ApiKey dynamic resource: a key pair an integration authenticates with.
// source "token": minted by POST /system/members/{member}/tokens (the only key-issuing endpoint
// the published API has); such keys expire, so diff replaces the key once its expiration is
// within `rotateBefore` (the new key is created before the old one leaves the state).
// source "console": a persistent key the operator made in System > Members > API Keys, given as
// (secret) inputs and verified by authenticating with it.
// The published API can neither list nor revoke keys: read checks that the key still
// authenticates, and delete tells the operator where to revoke it. No message carries key
// material beyond the public key's last four characters.

import { createHash } from "crypto";
import type * as pulumi from "@pulumi/pulumi";
import { unknownValue } from "@pulumi/pulumi/runtime/rpc";
import { z } from "zod";
import type { ConnectWiseClient } from "./connectwise/client";
import { ConnectWiseError } from "./connectwise/errors";
import { MySecuritySchema, TokenSchema } from "./connectwise/schemas";
import { parseDuration } from "./duration";
import * as session from "./session";

export type KeySource = "token" | "console";

/** The checked inputs. */
export interface ApiKeyInputs {
  member: string;
  description: string;
  source: KeySource;
  rotateBefore: string;
  /** Only with source "console". */
  publicKey?: string;
  privateKey?: string;
}

export interface ApiKeyOutputs extends ApiKeyInputs {
  publicKey: string;
  privateKey: string;
  /** ISO time the token stops authenticating; "" for console keys (they do not expire). */
  expiration: string;
  /** The member the key authenticates as, as the tenant spells it. */
  memberIdentifier: string;
}

const TYPE = "ApiKey";
const SOURCES: readonly KeySource[] = ["token", "console"];
const DEFAULT_ROTATE_BEFORE = "7d";
const MAX_MEMBER = 15;

const isUnknown = (value: unknown): boolean => value === unknownValue;
const label = (member: unknown): string =>
  typeof member === "string" && member.trim() ? `${TYPE} for member ${member.trim()}` : TYPE;
/** The public key's last four characters: enough to find the key in the UI, too little to use it. */
const keyHint = (publicKey: string): string => `public key ending "...${publicKey.slice(-4)}"`;
const revokeWhere = (member: string): string => `System > Members > ${member} > API Keys`;

/** Normalises and validates; no request is made. Key values are never echoed in a failure. */
export async function check(
  _olds: Record<string, unknown>,
  news: Record<string, unknown>,
): Promise<pulumi.dynamic.CheckResult> {
  const failures: pulumi.dynamic.CheckFailure[] = [];
  const inputs: Record<string, unknown> = { ...news };
  const resource = label(news.member);
  const fail = (property: string, reason: string) => failures.push({ property, reason: `${resource}: ${reason}` });

  for (const field of ["member", "description"] as const) {
    const value = news[field];
    if (isUnknown(value)) continue;
    if (typeof value !== "string" || value.trim() === "")
      fail(field, `${field} is required: give a non-empty string (got ${JSON.stringify(value) ?? "nothing"})`);
    else inputs[field] = value.trim();
  }
  if (typeof inputs.member === "string" && !isUnknown(inputs.member) && inputs.member.length > MAX_MEMBER) {
    fail(
      "member",
      `member "${inputs.member}" has ${inputs.member.length} characters; member identifiers have at most ${MAX_MEMBER}`,
    );
  }

  const source =
    news.source === undefined
      ? "token"
      : typeof news.source === "string"
        ? news.source.trim().toLowerCase()
        : news.source;
  if (!isUnknown(source) && !SOURCES.includes(source as KeySource)) {
    fail(
      "source",
      `source ${JSON.stringify(news.source)} is not allowed; use "token" (minted through the API) or "console" (a key made in ${revokeWhere("<member>")})`,
    );
  } else inputs.source = source;

  for (const field of ["publicKey", "privateKey"] as const) {
    const value = news[field];
    if (source === "console") {
      if (!isUnknown(value) && (typeof value !== "string" || value.trim() === "")) {
        fail(
          field,
          `${field} is required with source "console": set it to the key made in ${revokeWhere(String(inputs.member ?? "<member>"))}`,
        );
      } else if (typeof value === "string" && !isUnknown(value)) inputs[field] = value.trim();
    } else if (source === "token" && value !== undefined) {
      fail(
        field,
        `${field} is only allowed with source "console"; with source "token" the key is minted through the API`,
      );
    }
  }

  const rotateBefore = news.rotateBefore === undefined ? DEFAULT_ROTATE_BEFORE : news.rotateBefore;
  if (!isUnknown(rotateBefore)) {
    if (typeof rotateBefore !== "string" || parseDuration(rotateBefore) === undefined) {
      fail(
        "rotateBefore",
        `rotateBefore ${JSON.stringify(rotateBefore)} is not a duration; use days, hours or minutes such as "7d", "12h", "30m" or "1d12h"`,
      );
    } else inputs.rotateBefore = rotateBefore.trim().toLowerCase();
  }
  return failures.length > 0 ? { failures } : { inputs };
}

export async function diff(_id: string, olds: ApiKeyOutputs, news: ApiKeyInputs): Promise<pulumi.dynamic.DiffResult> {
  const replaceable: (keyof ApiKeyInputs)[] = ["member", "description", "source"];
  if (news.source === "console") replaceable.push("publicKey", "privateKey");
  const replaces: string[] = replaceable.filter((field) => olds[field] !== news[field]);
  if (expiresWithin(olds.expiration, news.rotateBefore)) {
    console.error(
      `${label(news.member)}: the token expires at ${olds.expiration}, within rotateBefore ${news.rotateBefore}: a new key replaces it`,
    );
    replaces.push("expiration");
  }
  return {
    changes: replaces.length > 0 || olds.rotateBefore !== news.rotateBefore,
    replaces,
    deleteBeforeReplace: false,
  };
}

export async function create(inputs: ApiKeyInputs): Promise<pulumi.dynamic.CreateResult> {
  const client = await session.connect();
  if (inputs.source === "token") {
    const token = await client.post(
      `/system/members/${encodeURIComponent(inputs.member)}/tokens`,
      undefined,
      TokenSchema,
    );
    if (expiresWithin(token.expiration, inputs.rotateBefore)) {
      // A fresh token already inside the window would be replaced by every preview.
      console.error(
        `${label(inputs.member)}: tokens on ${client.tenant} expire at ${token.expiration}, sooner than rotateBefore ${inputs.rotateBefore} from now: ` +
          "every preview will plan to replace this key; set rotateBefore shorter than the token lifetime",
      );
    }
    const outs: ApiKeyOutputs = {
      ...inputs,
      publicKey: token.publicKey,
      privateKey: token.privateKey,
      expiration: token.expiration,
      memberIdentifier: inputs.member,
    };
    return { id: keyId(inputs.member, token.publicKey), outs };
  }
  const publicKey = inputs.publicKey ?? "";
  const privateKey = inputs.privateKey ?? "";
  const resource = label(inputs.member);
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
  const outs: ApiKeyOutputs = { ...inputs, publicKey, privateKey, expiration: "", memberIdentifier: identifier };
  return { id: keyId(inputs.member, publicKey), outs };
}

/** Present while the key authenticates; an expired, revoked or deactivated key is gone. */
export async function read(id: string, props: ApiKeyOutputs): Promise<pulumi.dynamic.ReadResult> {
  if (props.expiration && Date.parse(props.expiration) <= Date.now()) return { id: "" };
  const client = await session.connect();
  const identifier = await authenticatedMember(client, props.publicKey, props.privateKey);
  if (identifier === undefined) return { id: "" };
  const inputs: ApiKeyInputs = {
    member: props.member,
    description: props.description,
    source: props.source,
    rotateBefore: props.rotateBefore,
  };
  if (props.source === "console") Object.assign(inputs, { publicKey: props.publicKey, privateKey: props.privateKey });
  return { id, props: { ...props, memberIdentifier: identifier }, inputs };
}

/** Only rotateBefore can change in place (everything else replaces the key): nothing to send. */
export async function update(
  _id: string,
  olds: ApiKeyOutputs,
  news: ApiKeyInputs,
): Promise<pulumi.dynamic.UpdateResult> {
  const outs: ApiKeyOutputs = {
    ...news,
    publicKey: olds.publicKey,
    privateKey: olds.privateKey,
    expiration: olds.expiration,
    memberIdentifier: olds.memberIdentifier,
  };
  return { outs };
}

/** The published API cannot revoke a key: say where the operator does it. */
export async function remove(_id: string, props: ApiKeyOutputs): Promise<void> {
  const expiry = props.expiration ? ` It stops working by itself at ${props.expiration}.` : "";
  console.error(
    `${label(props.member)}: removed from the stack; the published ConnectWise API cannot revoke keys, so the key (${keyHint(props.publicKey)}) ` +
      `still works until revoked in ${revokeWhere(props.member)}.${expiry}`,
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
    const [row] = await client
      .asMember(publicKey, privateKey)
      .get("/system/mySecurity", z.array(MySecuritySchema), { pageSize: 1, fields: "member" });
    if (!row?.member?.identifier)
      throw new Error(
        `${TYPE}: /system/mySecurity named no member for the key (${keyHint(publicKey)}); cannot tell whose key it is`,
      );
    return row.member.identifier;
  } catch (err) {
    if (err instanceof ConnectWiseError && err.status === 401) return undefined;
    throw err;
  }
}
