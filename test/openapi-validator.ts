// A small validator for the part of OpenAPI 3.0 / JSON Schema that the vendor's spec subset
// uses: $ref (components/schemas), type, nullable, enum, properties, required, items,
// additionalProperties, format int32/double/date-time. Two ConnectWise conventions are read
// from descriptions: " Max length: N;" (the spec has no maxLength keyword) and "Required On
// Updates" (enforced for PUT bodies). Properties the spec does not declare are reported: the
// point is to find where the wire and the vendor's schema part ways.

export interface SchemaObject {
  $ref?: string;
  type?: string;
  format?: string;
  nullable?: boolean;
  enum?: unknown[];
  properties?: Record<string, SchemaObject>;
  required?: string[];
  items?: SchemaObject;
  additionalProperties?: SchemaObject | boolean;
  description?: string;
}

interface Parameter {
  name: string;
  in: string;
  required?: boolean;
  schema?: SchemaObject;
}

interface Operation {
  operationId: string;
  parameters?: Parameter[];
  requestBody?: { required?: boolean; content: Record<string, { schema: SchemaObject }> };
  responses: Record<string, { content?: Record<string, { schema: SchemaObject }> }>;
}

export interface Spec {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, SchemaObject> };
  "x-subset-provenance": { unresolved_refs_not_included: string[] };
}

/** "update": a PUT body ("Required On Updates" applies); "projected": an answer to `fields=`, which holds only what was asked for. */
export type Mode = "request" | "update" | "response" | "projected";

export interface MatchedOperation {
  template: string;
  operation: Operation;
  /** The template has a trailing slash the concrete path lacks (or the other way round). */
  trailingSlashDiffers: boolean;
}

const INT32 = { min: -(2 ** 31), max: 2 ** 31 - 1 };

function maxLengthOf(schema: SchemaObject): number | undefined {
  const m = /Max length: (\d+);/.exec(schema.description ?? "");
  return m ? Number(m[1]) : undefined;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

export class OpenApiValidator {
  /** $refs met while validating that the subset does not define. */
  readonly unresolvedRefs = new Set<string>();

  constructor(readonly spec: Spec) {}

  resolve(schema: SchemaObject): SchemaObject | undefined {
    if (!schema.$ref) return schema;
    const name = schema.$ref.replace(/^#\/components\/schemas\//, "");
    const target = this.spec.components.schemas[name];
    if (!target) this.unresolvedRefs.add(name);
    return target;
  }

  /** Violations of `value` against `schema`, each prefixed with where it is. */
  validate(schema: SchemaObject, value: unknown, at: string, mode: Mode): string[] {
    const s = this.resolve(schema);
    if (!s) return []; // not in the subset: recorded in unresolvedRefs, nothing to check against
    if (value === null) return s.nullable ? [] : [`${at}: null is not allowed`];
    const out: string[] = [];
    if (s.enum && !s.enum.includes(value))
      out.push(`${at}: ${JSON.stringify(value)} is not one of ${s.enum.join("|")}`);
    switch (s.type) {
      case "string": {
        if (typeof value !== "string") return [`${at}: expected a string, got ${typeof value}`];
        const max = maxLengthOf(s);
        if (max !== undefined && value.length > max) out.push(`${at}: longer than ${max}`);
        if (s.format === "date-time" && Number.isNaN(Date.parse(value))) out.push(`${at}: not a date-time`);
        break;
      }
      case "integer":
        if (typeof value !== "number" || !Number.isInteger(value)) return [`${at}: expected an integer`];
        if (s.format === "int32" && (value < INT32.min || value > INT32.max)) out.push(`${at}: outside int32`);
        break;
      case "number":
        if (typeof value !== "number" || !Number.isFinite(value)) return [`${at}: expected a number`];
        break;
      case "boolean":
        if (typeof value !== "boolean") return [`${at}: expected a boolean`];
        break;
      case "array":
        if (!Array.isArray(value)) return [`${at}: expected an array`];
        if (s.items) value.forEach((item, i) => out.push(...this.validate(s.items!, item, `${at}[${i}]`, mode)));
        break;
      case "object":
        if (!isPlainObject(value)) return [`${at}: expected an object`];
        out.push(...this.validateObject(s, value, at, mode));
        break;
      case undefined:
        break;
      default:
        out.push(`${at}: the validator does not know type ${s.type}`);
    }
    return out;
  }

  private validateObject(s: SchemaObject, value: Record<string, unknown>, at: string, mode: Mode): string[] {
    const out: string[] = [];
    const properties = s.properties ?? {};
    const required = new Set(mode === "projected" ? [] : (s.required ?? []));
    if (mode === "update") {
      for (const [name, p] of Object.entries(properties))
        if (/Required On Updates/.test(p.description ?? "")) required.add(name);
    }
    for (const name of required) if (value[name] === undefined) out.push(`${at}/${name}: required`);
    for (const [name, v] of Object.entries(value)) {
      const p = properties[name];
      if (p) out.push(...this.validate(p, v, `${at}/${name}`, mode));
      else if (isPlainObject(s.additionalProperties))
        out.push(...this.validate(s.additionalProperties, v, `${at}/${name}`, mode));
      else if (s.properties && s.additionalProperties !== true)
        out.push(`${at}/${name}: not a property of the spec's schema`);
    }
    return out;
  }

  /**
   * The spec operation for a concrete call. Segments match case-sensitively (the spec spells
   * `securityroles` and `securityRoles` in different paths); a `{param}` segment matches one
   * segment of its declared type (integer ids must be digits); a literal segment wins over a
   * parameter. `{memberIdentifier:regex(^(types. |(` is the spec's own, truncated, template.
   */
  findOperation(method: string, path: string): MatchedOperation | undefined {
    const concrete = path.replace(/\/+$/, "").split("/");
    let best: (MatchedOperation & { literals: number }) | undefined;
    for (const [template, operations] of Object.entries(this.spec.paths)) {
      const operation = operations[method.toLowerCase()];
      if (!operation) continue;
      const segments = template.replace(/\/+$/, "").split("/");
      if (segments.length !== concrete.length) continue;
      let literals = 0;
      const fits = segments.every((seg, i) => {
        if (seg.startsWith("{")) {
          const name = /^\{([A-Za-z0-9_]+)/.exec(seg)?.[1];
          const param = operation.parameters?.find((p) => p.in === "path" && p.name === name);
          return param?.schema?.type === "integer" ? /^\d+$/.test(concrete[i]) : concrete[i] !== "";
        }
        literals++;
        return seg === concrete[i];
      });
      if (fits && (!best || literals > best.literals)) {
        best = { template, operation, trailingSlashDiffers: template.endsWith("/") !== path.endsWith("/"), literals };
      }
    }
    if (!best) return undefined;
    const { literals: _literals, ...match } = best;
    return match;
  }

  /** Templates that match `path` only when case is ignored: a casing mistake. */
  caseInsensitiveTemplates(method: string, path: string): string[] {
    const lower = path.replace(/\/+$/, "").toLowerCase();
    return Object.entries(this.spec.paths)
      .filter(([, ops]) => ops[method.toLowerCase()])
      .map(([template]) => template)
      .filter((template) => {
        const segs = template.replace(/\/+$/, "").toLowerCase().split("/");
        const conc = lower.split("/");
        return segs.length === conc.length && segs.every((s, i) => s.startsWith("{") || s === conc[i]);
      });
  }
}
