// JSON Patch for PATCH endpoints: an array of {op, path, value} with op add, replace or remove.
// Paths name a field ("name", "/name") or a reference's member ("securityRole/id"). The result
// is validated again by the caller exactly like a PUT body.

import { invalidObject } from "./errors";
import type { Rules } from "./validation";

const OPS = new Set(["add", "replace", "remove"]);
const READ_ONLY = new Set(["id", "_info"]);

/** Applies `operations` to a copy of `fields`; throws 400 InvalidObject naming the bad operation. */
export function applyPatch(
  resource: string,
  fields: Record<string, unknown>,
  operations: unknown,
  rules: Rules,
): Record<string, unknown> {
  const fail = (message: string, field = "") =>
    invalidObject(resource, [{ code: "InvalidPatchOperation", message, field }]);
  if (!Array.isArray(operations) || operations.length === 0)
    throw fail("The body must be a non-empty array of patch operations");
  const out: Record<string, unknown> = structuredClone(fields);
  const canonical = new Map(Object.keys(rules).map((k) => [k.toLowerCase(), k]));
  operations.forEach((raw, i) => {
    if (raw === null || typeof raw !== "object" || Array.isArray(raw)) throw fail(`Operation ${i} is not an object`);
    const { op, path, value } = raw as Record<string, unknown>;
    const opName = typeof op === "string" ? op.toLowerCase() : "";
    if (!OPS.has(opName)) throw fail(`Operation ${i}: op must be add, replace or remove (got ${JSON.stringify(op)})`);
    if (typeof path !== "string" || path.replace(/^\//, "") === "")
      throw fail(`Operation ${i}: path must name a field`);
    const segments = path.replace(/^\//, "").split("/");
    if (READ_ONLY.has(segments[0].toLowerCase()))
      throw fail(`Operation ${i}: ${segments[0]} is read-only`, segments[0]);
    const field = canonical.get(segments[0].toLowerCase());
    if (!field) throw fail(`Operation ${i}: unknown field '${segments[0]}'`, path);
    const rule = rules[field];
    const isRef = rule.type === "ref" || rule.type === "opaqueRef";
    if (segments.length > 2 || (segments.length === 2 && !isRef))
      throw fail(`Operation ${i}: path '${path}' does not name a field`, path);
    if (opName !== "remove" && value === undefined) throw fail(`Operation ${i}: ${opName} needs a value`, path);

    if (segments.length === 1) {
      if (opName === "remove") delete out[field];
      else out[field] = value;
      return;
    }
    const member = segments[1];
    const ref: Record<string, unknown> = { ...((out[field] as Record<string, unknown> | undefined) ?? {}) };
    if (opName === "remove") delete ref[member];
    else {
      // A new id or name replaces the reference: the other keys would name the old row.
      for (const k of Object.keys(ref)) delete ref[k];
      ref[member] = value;
    }
    if (Object.keys(ref).length === 0) delete out[field];
    else out[field] = ref;
  });
  return out;
}
