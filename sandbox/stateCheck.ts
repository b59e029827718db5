// Shape check of a --state file before it is restored: a hand-edited or truncated file is
// refused at start with where it is wrong ("roles[2].settings[0].addLevel: ..."), instead of
// failing later on some request with a TypeError.

import { LEVELS } from "../catalog";

type Check = (v: unknown, at: string) => void;

function fail(at: string, expected: string, v: unknown): never {
  const got = v === undefined ? "nothing" : JSON.stringify(v).slice(0, 40);
  throw new Error(`${at || "the file"}: expected ${expected}, got ${got}`);
}

const str: Check = (v, at) => {
  if (typeof v !== "string") fail(at, "a string", v);
};
const bool: Check = (v, at) => {
  if (typeof v !== "boolean") fail(at, "true or false", v);
};
const int: Check = (v, at) => {
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 0) fail(at, "a non-negative integer", v);
};
const positive: Check = (v, at) => {
  if (typeof v !== "number" || !Number.isFinite(v) || v <= 0) fail(at, "a positive number", v);
};
const oneOf =
  (values: readonly string[]): Check =>
  (v, at) => {
    if (typeof v !== "string" || !values.includes(v)) fail(at, values.join(" or "), v);
  };
const optional =
  (check: Check): Check =>
  (v, at) => {
    if (v !== undefined) check(v, at);
  };
const array =
  (item: Check): Check =>
  (v, at) => {
    if (!Array.isArray(v)) fail(at, "an array", v);
    v.forEach((x, i) => item(x, `${at}[${i}]`));
  };
const object =
  (shape: Record<string, Check>): Check =>
  (v, at) => {
    if (v === null || typeof v !== "object" || Array.isArray(v)) fail(at, "an object", v);
    for (const [k, check] of Object.entries(shape)) check((v as Record<string, unknown>)[k], at ? `${at}.${k}` : k);
  };

const level = oneOf(LEVELS);

const SNAPSHOT = object({
  version: (v, at) => {
    if (v !== 1) fail(at, "1 (the only state format)", v);
  },
  nextRoleId: int,
  nextSettingId: int,
  nextMemberId: int,
  adminKey: object({ publicKey: str, privateKey: str }),
  tokenLifetimeSeconds: positive,
  roles: array(
    object({
      id: int,
      name: str,
      roleType: optional(str),
      adminFlag: bool,
      inactiveFlag: bool,
      settings: array(
        object({
          id: int,
          moduleName: str,
          moduleFunctionName: str,
          sortOrder: int,
          addLevel: level,
          editLevel: level,
          deleteLevel: level,
          inquireLevel: level,
        }),
      ),
      tableSetup: array(str),
      dateEntered: optional(str),
      enteredBy: optional(str),
      lastUpdated: str,
      updatedBy: str,
    }),
  ),
  members: array(
    object({
      id: int,
      licenseClass: oneOf(["A", "F"]),
      fields: object({ identifier: str }),
      createdAt: optional(str),
      lastUpdated: str,
      updatedBy: str,
    }),
  ),
  keys: array(
    object({
      publicKey: str,
      privateKeySha256: str,
      memberId: int,
      description: str,
      kind: oneOf(["apiKey", "token"]),
      createdAt: str,
      expiresAt: optional(str),
    }),
  ),
});

/** Throws an Error naming the first place where `raw` is not a state snapshot. */
export function checkSnapshot(raw: unknown): void {
  SNAPSHOT(raw, "");
}
