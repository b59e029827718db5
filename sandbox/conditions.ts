// The `conditions` query language: `field op value` joined by AND/OR, NOT and parentheses.
// Parsed once per request into a predicate; unknown fields and type mismatches are refused
// (400 InvalidCondition) the way a server that compiles conditions to SQL must refuse them.
// Evaluation follows SQL semantics where they differ from JavaScript's: string comparisons are
// case-insensitive (SQL Server's default collation), and a comparison with a NULL field is false
// unless it is `= null` / `!= null`.

import { invalidCondition } from "./errors";
import { FieldInfo, FieldTypes } from "./fieldTypes";
import { readPath } from "./projection";

type Value = string | number | boolean | null | Date;

type Token =
  | { kind: "word"; text: string; at: number }
  | { kind: "string"; value: string; at: number }
  | { kind: "number"; value: number; at: number }
  | { kind: "date"; value: Date; at: number }
  | { kind: "op"; text: string; at: number }
  | { kind: "punct"; text: "(" | ")" | ","; at: number };

type Comparator = "=" | "!=" | "<" | "<=" | ">" | ">=" | "contains" | "like" | "in";

type Node =
  | { kind: "and" | "or"; parts: Node[] }
  | { kind: "not"; inner: Node }
  | { kind: "cmp"; field: FieldInfo; op: Comparator; negate: boolean; values: Value[]; pattern?: RegExp };

export type Predicate = (item: unknown) => boolean;

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (/\s/.test(c)) {
      i++;
    } else if (c === "(" || c === ")" || c === ",") {
      tokens.push({ kind: "punct", text: c, at: i });
      i++;
    } else if (c === '"' || c === "'") {
      // Double or single quotes, as the real server's own error text says; a backslash escapes
      // the quote that opened the string, or a backslash.
      const start = i;
      let value = "";
      i++;
      for (;;) {
        if (i >= text.length) throw invalidCondition(`Unterminated string starting at position ${start}`);
        const d = text[i];
        if (d === "\\" && (text[i + 1] === c || text[i + 1] === "\\")) {
          value += text[i + 1];
          i += 2;
        } else if (d === c) {
          i++;
          break;
        } else {
          value += d;
          i++;
        }
      }
      tokens.push({ kind: "string", value, at: start });
    } else if (c === "[") {
      const end = text.indexOf("]", i);
      if (end < 0) throw invalidCondition(`Unterminated datetime starting at position ${i}`);
      const raw = text.slice(i + 1, end).trim();
      const value = new Date(raw);
      if (Number.isNaN(value.getTime())) throw invalidCondition(`Invalid datetime [${raw}]`);
      tokens.push({ kind: "date", value, at: i });
      i = end + 1;
    } else if (/[=!<>]/.test(c)) {
      const two = text.slice(i, i + 2);
      const op = ["!=", "<=", ">=", "<>"].includes(two) ? two : c;
      if (op === "!") throw invalidCondition(`Unexpected '!' at position ${i}`);
      tokens.push({ kind: "op", text: op === "<>" ? "!=" : op, at: i });
      i += op.length;
    } else if (/[-\d]/.test(c)) {
      const m = /^-?\d+(\.\d+)?/.exec(text.slice(i));
      if (!m) throw invalidCondition(`Unexpected '${c}' at position ${i}`);
      tokens.push({ kind: "number", value: Number(m[0]), at: i });
      i += m[0].length;
    } else if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][\w/]*/.exec(text.slice(i))!;
      tokens.push({ kind: "word", text: m[0], at: i });
      i += m[0].length;
    } else {
      throw invalidCondition(`Unexpected '${c}' at position ${i}`);
    }
  }
  return tokens;
}

class Parser {
  private pos = 0;
  constructor(
    private readonly tokens: Token[],
    private readonly fields: FieldTypes,
  ) {}

  parse(): Node {
    const node = this.orExpr();
    const rest = this.tokens[this.pos];
    if (rest) throw invalidCondition(`Unexpected token at position ${rest.at}`);
    return node;
  }

  private peekWord(...words: string[]): boolean {
    const t = this.tokens[this.pos];
    return t?.kind === "word" && words.includes(t.text.toLowerCase());
  }

  private peekPunct(p: string): boolean {
    const t = this.tokens[this.pos];
    return t?.kind === "punct" && t.text === p;
  }

  private expectPunct(p: string): void {
    if (!this.peekPunct(p)) throw invalidCondition(`Expected '${p}' ${this.where()}`);
    this.pos++;
  }

  private where(): string {
    const t = this.tokens[this.pos];
    return t ? `at position ${t.at}` : "at the end";
  }

  private orExpr(): Node {
    const parts = [this.andExpr()];
    while (this.peekWord("or")) {
      this.pos++;
      parts.push(this.andExpr());
    }
    return parts.length === 1 ? parts[0] : { kind: "or", parts };
  }

  private andExpr(): Node {
    const parts = [this.notExpr()];
    while (this.peekWord("and")) {
      this.pos++;
      parts.push(this.notExpr());
    }
    return parts.length === 1 ? parts[0] : { kind: "and", parts };
  }

  private notExpr(): Node {
    if (this.peekWord("not")) {
      this.pos++;
      return { kind: "not", inner: this.notExpr() };
    }
    if (this.peekPunct("(")) {
      this.pos++;
      const inner = this.orExpr();
      this.expectPunct(")");
      return inner;
    }
    return this.comparison();
  }

  private comparison(): Node {
    const t = this.tokens[this.pos];
    if (t?.kind !== "word") throw invalidCondition(`Expected a field name ${this.where()}`);
    const field = this.fields.get(t.text.toLowerCase());
    if (!field) throw invalidCondition(`Unknown field '${t.text}'`, t.text);
    this.pos++;
    let negate = false;
    if (this.peekWord("not")) {
      negate = true;
      this.pos++;
    }
    const opToken = this.tokens[this.pos];
    let op: Comparator;
    if (opToken?.kind === "op" && !negate) op = opToken.text as Comparator;
    else if (opToken?.kind === "word" && ["contains", "like", "in"].includes(opToken.text.toLowerCase()))
      op = opToken.text.toLowerCase() as Comparator;
    else throw invalidCondition(`Expected an operator after '${t.text}' ${this.where()}`, field.path);
    this.pos++;
    const values: Value[] = [];
    if (op === "in") {
      this.expectPunct("(");
      values.push(this.value(field));
      while (this.peekPunct(",")) {
        this.pos++;
        values.push(this.value(field));
      }
      this.expectPunct(")");
    } else {
      values.push(this.value(field));
    }
    if ((op === "contains" || op === "like") && (field.type !== "string" || typeof values[0] !== "string")) {
      throw invalidCondition(
        `'${op}' needs a string field and a quoted string value (field '${field.path}')`,
        field.path,
      );
    }
    if (field.type === "boolean" && op !== "=" && op !== "!=" && op !== "in") {
      throw invalidCondition(`'${op}' cannot compare the boolean field '${field.path}'`, field.path);
    }
    const node: Node = { kind: "cmp", field, op, negate, values };
    if (op === "like") node.pattern = likePattern(values[0] as string);
    return node;
  }

  private value(field: FieldInfo): Value {
    const t = this.tokens[this.pos];
    if (!t) throw invalidCondition(`Expected a value for '${field.path}' at the end`, field.path);
    this.pos++;
    let value: Value;
    if (t.kind === "string" || t.kind === "number" || t.kind === "date") value = t.value;
    else if (t.kind === "word" && ["true", "false"].includes(t.text.toLowerCase()))
      value = t.text.toLowerCase() === "true";
    else if (t.kind === "word" && t.text.toLowerCase() === "null") value = null;
    else
      throw invalidCondition(
        `Expected a value for '${field.path}' at position ${t.at} (strings go in double or single quotes)`,
        field.path,
      );
    const expected = { string: "string", number: "number", boolean: "boolean", date: "object" }[field.type];
    if (value !== null && typeof value !== expected) {
      throw invalidCondition(
        `Field '${field.path}' is a ${field.type}; the value at position ${t.at} is not`,
        field.path,
      );
    }
    return value;
  }
}

/** `*` and `%` are wildcards for any run of characters; everything else matches itself. */
function likePattern(pattern: string): RegExp {
  const body = pattern
    .split(/[*%]/)
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"))
    .join(".*");
  return new RegExp(`^${body}$`, "is");
}

/** A scalar as text; an object (which a typed field never holds) as its JSON, never "[object Object]". */
function asText(v: unknown): string {
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  return JSON.stringify(v) ?? "";
}

function normalize(v: unknown, type: FieldInfo["type"]): string | number | boolean | null {
  if (v === null || v === undefined) return null;
  if (type === "date") {
    const t = v instanceof Date ? v.getTime() : Date.parse(asText(v));
    return Number.isNaN(t) ? null : t;
  }
  if (type === "string") return asText(v).toLowerCase();
  return v as number | boolean;
}

function compare(node: Extract<Node, { kind: "cmp" }>, item: unknown): boolean {
  const { field, op } = node;
  const actual = normalize(readPath(item, field.path), field.type);
  const wanted = node.values.map((v) => normalize(v, field.type));
  if (op === "=" && wanted[0] === null) return (actual === null) !== node.negate;
  if (op === "!=" && wanted[0] === null) return (actual !== null) !== node.negate;
  if (actual === null) return false;
  let result: boolean;
  switch (op) {
    case "=":
      result = actual === wanted[0];
      break;
    case "!=":
      result = actual !== wanted[0];
      break;
    case "in":
      result = wanted.includes(actual);
      break;
    case "contains":
      result = String(actual).includes(String(wanted[0]));
      break;
    case "like":
      result = node.pattern!.test(String(actual));
      break;
    default: {
      const w = wanted[0];
      if (w === null) return false;
      const c = actual < w ? -1 : actual > w ? 1 : 0;
      result = op === "<" ? c < 0 : op === "<=" ? c <= 0 : op === ">" ? c > 0 : c >= 0;
    }
  }
  return result !== node.negate;
}

function evaluate(node: Node, item: unknown): boolean {
  switch (node.kind) {
    case "and":
      return node.parts.every((p) => evaluate(p, item));
    case "or":
      return node.parts.some((p) => evaluate(p, item));
    case "not":
      return !evaluate(node.inner, item);
    case "cmp":
      return compare(node, item);
  }
}

/** Compiles `conditions` against the resource's fields; an empty string matches everything. */
export function parseConditions(text: string, fields: FieldTypes): Predicate {
  const tokens = tokenize(text);
  if (tokens.length === 0) return () => true;
  const tree = new Parser(tokens, fields).parse();
  return (item) => evaluate(tree, item);
}
