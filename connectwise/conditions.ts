// Builders for the `conditions` query language: `field op value` joined by AND/OR. Values are
// always quoted here, so a name holding `"`, `\` or ` AND ` cannot change the query's meaning.

export type ConditionValue = string | number | boolean | null;

const FIELD_PATH = /^[A-Za-z_][A-Za-z0-9_]*(\/[A-Za-z_][A-Za-z0-9_]*)*$/;

/** A literal: strings in double quotes with `\` and `"` escaped by a backslash; numbers, booleans and null bare. */
export function quote(value: ConditionValue): string {
  if (value === null) return "null";
  if (typeof value === "boolean") return value ? "true" : "false";
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new Error(`conditions: ${value} is not a finite number`);
    return String(value);
  }
  return `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/** `field=value`; the field is a path like `securityRole/id`. */
export function eq(field: string, value: ConditionValue): string {
  if (!FIELD_PATH.test(field)) throw new Error(`conditions: '${field}' is not a field path`);
  return `${field}=${quote(value)}`;
}

function join(operator: "AND" | "OR", parts: string[]): string {
  const present = parts.filter((p) => p.trim() !== "");
  if (present.length === 0) throw new Error(`conditions: ${operator} needs at least one condition`);
  return present.length === 1 ? present[0] : present.map((p) => `(${p})`).join(` ${operator} `);
}

export function and(...parts: string[]): string {
  return join("AND", parts);
}

export function or(...parts: string[]): string {
  return join("OR", parts);
}
