// Request-body validation from the spec's field rules: types, "Max length: N", required
// fields, and references that must name an existing row. Property names match
// case-insensitively (the server's JSON binder does); unknown properties and read-only ones
// (id, _info) are ignored. Checks run in this order and the first failing group answers:
// types -> required -> max length (top-level MaxLengthField) -> format -> references -> uniqueness.

import { ApiError, ValidationError, invalidObject, maxLength } from "./errors";
import { DEPARTMENTS, LOCATIONS, Ref, STRUCTURE_LEVELS, Store } from "./store";

export type ReferenceKind = "securityRole" | "structureLevel" | "location" | "department";

/**
 * What a string must look like beyond its length. "name": no control characters and no
 * whitespace at either end (a name that differs from what the UI shows only by them could not be
 * told apart). "identifier": that, and none of the characters that keep it out of a URL path
 * segment (`/system/members/{memberIdentifier}`): `/`, and what ASP.NET refuses in a path by
 * default (requestPathInvalidCharacters `< > * % & : \ ?`).
 */
export type TextFormat = "name" | "identifier";

export type FieldRule =
  | { type: "string"; max?: number; format?: TextFormat }
  | { type: "boolean" }
  | { type: "datetime" }
  | { type: "intArray" }
  /** A reference the sandbox resolves against its own rows (by id, else by name/identifier). */
  | { type: "ref"; kind: ReferenceKind }
  /** A reference to something the sandbox has no endpoint for (time zones, boards): kept as given. */
  | { type: "opaqueRef" };

export type Rules = Record<string, FieldRule>;

type Errors = Omit<ValidationError, "resource">[];

/** The body's known properties under their canonical names (first spelling wins). */
function pickKnown(body: Record<string, unknown>, rules: Rules): Record<string, unknown> {
  const canonical = new Map(Object.keys(rules).map((k) => [k.toLowerCase(), k]));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(body)) {
    const name = canonical.get(k.toLowerCase());
    if (name !== undefined && !(name in out)) out[name] = v;
  }
  return out;
}

function typeError(field: string, value: unknown, rule: FieldRule): string | undefined {
  if (value === null) return undefined;
  switch (rule.type) {
    case "string":
      return typeof value === "string" ? undefined : `${field} must be a string`;
    case "boolean":
      return typeof value === "boolean" ? undefined : `${field} must be true or false`;
    case "datetime":
      return typeof value === "string" && !Number.isNaN(Date.parse(value))
        ? undefined
        : `${field} must be an ISO date-time string`;
    case "intArray":
      return Array.isArray(value) && value.every((v) => Number.isInteger(v))
        ? undefined
        : `${field} must be an array of integers`;
    case "ref":
    case "opaqueRef":
      return typeof value === "object" && !Array.isArray(value)
        ? undefined
        : `${field} must be an object like {"id": 1}`;
  }
}

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;
const NOT_IN_A_PATH = /[/\\<>*%&:?]/;

/** Why `value` does not fit `format`, or undefined when it does. */
export function formatError(field: string, value: string, format: TextFormat): string | undefined {
  const control = CONTROL.exec(value);
  if (control)
    return `${field} must not contain control characters (U+${control[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, "0")} at position ${control.index})`;
  if (value.trim() !== value) return `${field} must not begin or end with whitespace`;
  const bad = format === "identifier" ? NOT_IN_A_PATH.exec(value) : null;
  if (bad) return `${field} must not contain '${bad[0]}' (it could not be used in a URL path)`;
  return undefined;
}

function rowsOf(kind: ReferenceKind, store: Store): readonly (Ref & { identifier?: string })[] {
  switch (kind) {
    case "securityRole":
      return [...store.roles.values()].map((r) => ({ id: r.id, name: r.name }));
    case "structureLevel":
      return STRUCTURE_LEVELS;
    case "location":
      return LOCATIONS.map((l) => ({ id: l.id, name: l.name }));
    case "department":
      return DEPARTMENTS;
  }
}

const KIND_LABEL: Record<ReferenceKind, string> = {
  securityRole: "Security role",
  structureLevel: "Structure level",
  location: "Location",
  department: "Department",
};

/** Resolves {id} (or, without id, {name} / {identifier}) to the full reference; errors name field/id etc. */
function resolveRef(
  field: string,
  kind: ReferenceKind,
  value: Record<string, unknown>,
  store: Store,
  errors: Errors,
): unknown {
  const rows = rowsOf(kind, store);
  let row: (Ref & { identifier?: string }) | undefined;
  let by: string;
  if (value.id !== undefined && value.id !== null) {
    by = "id";
    row = Number.isInteger(value.id)
      ? kind === "securityRole"
        ? store.roles.get(value.id as number)
        : rows.find((r) => r.id === value.id)
      : undefined;
  } else if (typeof value.identifier === "string" && kind === "department") {
    by = "identifier";
    row = rows.find((r) => r.identifier?.toLowerCase() === (value.identifier as string).toLowerCase());
  } else if (typeof value.name === "string") {
    by = "name";
    row =
      kind === "securityRole"
        ? store.roleByName(value.name)
        : rows.find((r) => r.name.toLowerCase() === (value.name as string).toLowerCase());
  } else {
    errors.push({ code: "MissingRequiredField", message: `${field} needs an id`, field: `${field}/id` });
    return undefined;
  }
  if (!row) {
    errors.push({
      code: "NotFound",
      message: `${KIND_LABEL[kind]} ${JSON.stringify(value[by])} not found`,
      field: `${field}/${by}`,
    });
    return undefined;
  }
  const ref = { id: row.id, name: row.name };
  return kind === "department" ? { id: row.id, identifier: row.identifier, name: row.name } : ref;
}

export interface ValidateOptions {
  resource: string;
  rules: Rules;
  store: Store;
  /** Fields that must be present and non-empty in this request (e.g. name on updates). */
  required: string[];
}

/** The body's fields, checked and with references resolved; throws the API's 400 errors. */
export function validateBody(body: unknown, opts: ValidateOptions): Record<string, unknown> {
  const { resource, rules, store } = opts;
  if (body === null || typeof body !== "object" || Array.isArray(body)) {
    throw invalidObject(resource, [
      { code: "InvalidObject", message: `The request body must be a ${resource} object`, field: "" },
    ]);
  }
  const fields = pickKnown(body as Record<string, unknown>, rules);

  const typeErrors: Errors = [];
  for (const [name, value] of Object.entries(fields)) {
    const message = typeError(name, value, rules[name]);
    if (message) typeErrors.push({ code: "InvalidField", message, field: name });
  }
  if (typeErrors.length) throw invalidObject(resource, typeErrors);

  const missing = opts.required.filter(
    (name) => fields[name] === undefined || fields[name] === null || fields[name] === "",
  );
  if (missing.length) {
    throw invalidObject(
      resource,
      missing.map((field) => ({ code: "MissingRequiredField", message: `${field} is required.`, field })),
    );
  }

  for (const [name, value] of Object.entries(fields)) {
    const rule = rules[name];
    if (rule.type === "string" && rule.max !== undefined && typeof value === "string" && value.length > rule.max)
      throw maxLength(name, rule.max);
  }

  const formatErrors: Errors = [];
  for (const [name, value] of Object.entries(fields)) {
    const rule = rules[name];
    const message =
      rule.type === "string" && rule.format !== undefined && typeof value === "string"
        ? formatError(name, value, rule.format)
        : undefined;
    if (message) formatErrors.push({ code: "InvalidField", message, field: name });
  }
  if (formatErrors.length) throw invalidObject(resource, formatErrors);

  const refErrors: Errors = [];
  for (const [name, value] of Object.entries(fields)) {
    const rule = rules[name];
    if (value === null) delete fields[name];
    else if (rule.type === "ref") {
      const ref = resolveRef(name, rule.kind, value as Record<string, unknown>, store, refErrors);
      if (ref) fields[name] = ref;
    }
  }
  if (refErrors.length) throw invalidObject(resource, refErrors);
  return fields;
}

export function objectExists(resource: string, field: string, value: string): ApiError {
  return invalidObject(resource, [
    { code: "ObjectExists", message: `The ${field} '${value}' is already in use.`, field },
  ]);
}
