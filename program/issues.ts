// One line per problem, each naming where it is: `<where><path>: <what>`, e.g.
// `connectwise-iac:integrations[1].member.emial: unknown field; did you mean "email"?`.
import { z } from "zod";
import { didYouMean, quoted, suggestion } from "../catalog";

type Segment = PropertyKey;

/** `[1].member.emial`, `.permissions["Finance/Agreements"].ad`: a path as a user would type it. */
export function formatPath(path: readonly Segment[]): string {
  return path
    .map((s) =>
      typeof s === "number"
        ? `[${s}]`
        : /^[A-Za-z_$][\w$]*$/.test(String(s))
          ? `.${String(s)}`
          : `[${JSON.stringify(String(s))}]`,
    )
    .join("");
}

/** Names where a problem is, given its path inside the value. */
export type Locate = (path: readonly Segment[]) => string;

/** In a config key: `connectwise-iac:integrations[1].member.emial`. */
export const inConfig =
  (key: string): Locate =>
  (path) =>
    `${key}${formatPath(path)}`;

/** In a file: `integrations/my-tool.yaml: permissions["Finance/Agreements"].ad`. */
export const inFile =
  (file: string): Locate =>
  (path) =>
    path.length > 0 ? `${file}: ${formatPath(path).replace(/^\./, "")}` : file;

/** The schema that validates the value at `path`, or undefined: to suggest the fields it knows. */
function schemaAt(schema: z.ZodType, path: readonly Segment[]): z.ZodType | undefined {
  let s: z.ZodType | undefined = schema;
  for (const segment of [undefined, ...path]) {
    // Look through wrappers first, then descend one segment.
    for (;;) {
      if (s instanceof z.ZodOptional || s instanceof z.ZodDefault) s = s.unwrap() as z.ZodType;
      else break;
    }
    if (segment === undefined) continue;
    if (s instanceof z.ZodArray) s = s.element as z.ZodType;
    else if (s instanceof z.ZodRecord) s = s.valueType as z.ZodType;
    else if (s instanceof z.ZodObject) s = (s.shape as Record<string, z.ZodType>)[String(segment)];
    else return undefined;
  }
  return s;
}

function valueAt(input: unknown, path: readonly Segment[]): unknown {
  let v = input;
  for (const segment of path) {
    if (v === null || typeof v !== "object") return undefined;
    v = (v as Record<PropertyKey, unknown>)[segment];
  }
  return v;
}

/** Every issue of a failed parse, one line each, in the words a user fixing a file needs. */
export function describeIssues(locate: Locate, schema: z.ZodType, input: unknown, error: z.ZodError): string[] {
  const lines: string[] = [];
  // A misspelled field is also a missing one: say it once, as the misspelling (the fix is there).
  const explained = new Set<string>();
  for (const issue of error.issues)
    if (issue.code === "unrecognized_keys") {
      const parent = schemaAt(schema, issue.path);
      const known = parent instanceof z.ZodObject ? Object.keys(parent.shape) : [];
      for (const key of issue.keys)
        for (const close of didYouMean(key, known, 1)) explained.add(formatPath([...issue.path, close]));
    }
  for (const issue of error.issues) {
    const path = issue.path;
    if (issue.code === "unrecognized_keys") {
      const parent = schemaAt(schema, path);
      const known = parent instanceof z.ZodObject ? Object.keys(parent.shape) : [];
      for (const key of issue.keys) {
        const close = didYouMean(key, known, 1);
        const hint =
          close.length > 0 ? `; did you mean "${close[0]}"?` : known.length ? `; fields: ${quoted(known)}` : "";
        lines.push(`${locate([...path, key])}: unknown field${hint}`);
      }
      continue;
    }
    if (issue.code === "invalid_key") {
      // A record's key: the key's own problems, at the key.
      for (const inner of issue.issues) lines.push(`${locate(path)}: ${inner.message}`);
      continue;
    }
    const value = valueAt(input, path);
    if (issue.code === "invalid_type" && value === undefined) {
      if (explained.has(formatPath(path))) continue;
      lines.push(`${locate(path)}: missing (expected ${issue.expected})`);
    } else if (issue.code === "invalid_value") {
      const allowed = issue.values.map(String);
      lines.push(
        `${locate(path)}: ${JSON.stringify(value)} is not one of ${quoted(allowed)}` +
          suggestion(typeof value === "string" ? didYouMean(value, allowed, 1) : []),
      );
    } else if (issue.code === "invalid_type") {
      lines.push(`${locate(path)}: expected ${issue.expected}, got ${JSON.stringify(value)}`);
    } else {
      lines.push(`${locate(path)}: ${issue.message}`);
    }
  }
  return lines;
}
