// The pieces the four handlers share: declarative field rules for check(), the handling of values
// still unknown during preview, resource labels for messages, and a delete that treats 404 as
// done. A resource's field table is also the one definition of its input shape: the checked
// inputs type (provider side) and the args type (resources/, each field a pulumi.Input) are both
// inferred from it, so the three cannot drift apart. A field's flags (`field(rule, flags)`) say
// what diff() makes of a change; provider/kit/lifecycle.ts turns a resource's definition (its
// table among it) into the provider.

import type * as pulumi from "@pulumi/pulumi";
import { didYouMean, suggestion } from "../catalog";
import { ConnectWiseError } from "../connectwise/errors";

// ---- Values unknown during preview --------------------------------------------------------

/**
 * The engine's sentinel of a value not computed yet: the wire protocol's constant, as
 * @pulumi/pulumi/runtime/rpc exports it (`unknownValue`; test/handlerKit.test.ts checks they
 * agree). Written out because importing that module loads most of the SDK's runtime, about
 * 0.6 s of every provider process's start on a busy 2-core machine, for one string.
 */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
const unknownValue = UNKNOWN;

/** True for the engine's sentinel of a value not computed yet (preview); such values are not judged. */
export const isUnknown = (value: unknown): boolean => value === unknownValue;

/** True when some part of the value is still unknown (computed, during preview). */
export const containsUnknown = (value: unknown): boolean => JSON.stringify(value ?? null).includes(unknownValue);

// ---- Labels --------------------------------------------------------------------------------

/** How messages name a resource: `SecurityRole ElementsAPI`, `ApiKey for member svc-a`; the bare type when unnamed. */
export function resourceLabel(type: string, name: unknown, lead = ""): string {
  return typeof name === "string" && name.trim() ? `${type} ${lead}${name.trim()}` : type;
}

// ---- Delete --------------------------------------------------------------------------------

/** Awaits a delete (or deactivation); a 404 means the object is already gone, the state delete asks for. */
export async function goneIsDone(request: Promise<unknown>): Promise<void> {
  try {
    await request;
  } catch (error) {
    if (!(error instanceof ConnectWiseError && error.status === 404)) throw error;
  }
}

// ---- Partial failure -----------------------------------------------------------------------

/**
 * A create/update failure after a remote write. Pulumi keeps `id` and `properties` in the state
 * (ErrorResourceInitFailed), so nothing is orphaned and the next `up` calls update(); `reasons`
 * are listed under the resource.
 */
export class PartialFailure extends Error {
  constructor(
    message: string,
    readonly id: string,
    readonly properties: object,
    readonly reasons: string[],
  ) {
    super(message);
  }
}

// ---- Field rules -------------------------------------------------------------------------

/** One failure a rule reports; `property` defaults to the field (e.g. `tables[1]` for an element). */
export interface Problem {
  reason: string;
  property?: string;
}

/** A rule's verdict on one known value: the normalised value, or what is wrong with it. */
export type Verdict<T> = { value: T } | { problems: Problem[] };

export const accept = <T>(value: T): Verdict<T> => ({ value });
export const reject = (reason: string, property?: string): Verdict<never> => ({ problems: [{ reason, property }] });

/** How a resource's messages read: each resource keeps its own voice, so messages stay as users know them. */
export interface Voice {
  /** What precedes every reason, e.g. `SecurityRole name: ` or `ApiMember svc-a: `. */
  prefix: (field: string, news: Record<string, unknown>) => string;
  missing: (field: string, value: unknown, secret: boolean) => string;
  tooLong: (field: string, value: unknown, text: string, max: number, secret: boolean) => string;
  notBoolean: (field: string, value: unknown) => string;
  notText: (field: string, value: unknown) => string;
}

/** Key material is never echoed back, not even when it is wrong. */
const shown = (value: unknown, secret: boolean): string => (secret ? "the value given" : JSON.stringify(value));

/** `SecurityRole name: "" is not allowed; ...`: the type and field lead, the value comes first. */
export function valueFirst(type: string): Voice {
  return {
    prefix: (field) => `${type} ${field}: `,
    missing: (_field, value, secret) => `${shown(value, secret)} is not allowed; give a non-empty string`,
    tooLong: (_field, value, text, max, secret) =>
      `${shown(value, secret)} has ${text.length} characters; ConnectWise allows at most ${max}`,
    notBoolean: (_field, value) => `${JSON.stringify(value)} is not allowed; use true or false`,
    notText: (_field, value) => `${JSON.stringify(value)} is not allowed; give a string`,
  };
}

/** `ApiMember svc-a: name is required: ...`: the resource leads, the field comes first. */
export function fieldFirst(label: (news: Record<string, unknown>) => string): Voice {
  return {
    prefix: (_field, news) => `${label(news)}: `,
    missing: (field, value) =>
      `${field} is required: give a non-empty string (got ${JSON.stringify(value) ?? "nothing"})`,
    tooLong: (field, _value, text, max) =>
      `${field} "${text}" has ${text.length} characters; ConnectWise allows at most ${max}`,
    notBoolean: (field, value) => `${field} must be true or false (got ${JSON.stringify(value)})`,
    notText: (field, value) => `${field} must be a string (got ${JSON.stringify(value)})`,
  };
}

/**
 * Whether a field must be given ("required"), may be left out and then takes `default`
 * ("defaulted": always present in the checked inputs), or may be left out ("optional").
 */
export type Presence = "required" | "defaulted" | "optional";

/**
 * The rule of one input field. `T` is the checked value, `A` what users write (ArgsOf wraps it
 * in pulumi.Input; inputs nested inside it are spelled in `A`). `judge` never gets a value that
 * is itself unknown (unknowns nested inside it are its own business), and gets undefined only
 * for a required field.
 */
export interface FieldRule<T, A = T, P extends Presence = Presence> extends FieldFlags {
  readonly presence: P;
  readonly default?: T;
  judge: (value: unknown, field: string, voice: Voice) => Verdict<T>;
  /** Type only: the shape users write. */
  readonly arg?: A;
}

/** What a field means to diff() (provider/kit/lifecycle.ts `inputDiff`) besides its rule. */
export interface FieldFlags {
  /**
   * A change replaces the object (the API cannot change it in place); a function: only for such
   * inputs (e.g. the key inputs of a console key).
   */
  readonly replaces?: boolean | ((news: Record<string, unknown>) => boolean);
  /** Key material: a failure never echoes it. */
  readonly secret?: boolean;
  /**
   * When a change counts: "ignored" (the field only steers create or delete, so changing it alone
   * is no update), or an equality of the old and new value. Default: the same JSON.
   */
  readonly same?: "ignored" | ((old: unknown, now: unknown) => boolean);
}

/** The rule with flags for diff(). */
export function field<R extends FieldRule<unknown, unknown>>(fieldRule: R, flags: FieldFlags): R {
  return { ...fieldRule, ...flags };
}

export type Fields = Record<string, FieldRule<unknown, unknown>>;

/** A rule written by hand, for a field the builders below do not cover. */
export function rule<T, A = T, P extends Presence = "required">(
  presence: P,
  judge: (value: unknown, field: string, voice: Voice) => Verdict<T>,
  defaultValue?: T,
): FieldRule<T, A, P> {
  return { presence, judge, default: defaultValue };
}

export interface TextOptions {
  /** The most characters ConnectWise takes. */
  max?: number;
  /** Key material: failures say "the value given" instead of the value. */
  secret?: boolean;
  /** Overrides of the voice's messages for this field. */
  missing?: (value: unknown) => string;
  tooLong?: (text: string, max: number) => string;
}

/** A non-empty string, trimmed, of at most `max` characters. */
export function text(options: TextOptions = {}): FieldRule<string, string, "required"> {
  const { max = Infinity, secret = false } = options;
  const judged = rule<string, string, "required">("required", (value, name, voice) => {
    const trimmed = typeof value === "string" ? value.trim() : "";
    if (!trimmed) return reject(options.missing?.(value) ?? voice.missing(name, value, secret));
    if (trimmed.length > max)
      return reject(options.tooLong?.(trimmed, max) ?? voice.tooLong(name, value, trimmed, max, secret));
    return accept(trimmed);
  });
  return secret ? field(judged, { secret }) : judged;
}

/** Any string, trimmed, or left out. */
export function optionalText(): FieldRule<string, string, "optional"> {
  return rule("optional", (value, field, voice) =>
    typeof value === "string" ? accept(value.trim()) : reject(voice.notText(field, value)),
  );
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** A required text that must read as an email address. */
export function email(options: TextOptions = {}): FieldRule<string, string, "required"> {
  const asText = text(options);
  return rule("required", (value, field, voice) => {
    const verdict = asText.judge(value, field, voice);
    if ("value" in verdict && !EMAIL.test(verdict.value))
      return reject(`${field} "${verdict.value}" is not a valid email address (expected name@domain.tld)`);
    return verdict;
  });
}

/** true or false; with a default, a field left out takes it. */
export function flag(defaultValue: boolean): FieldRule<boolean, boolean, "defaulted">;
export function flag(): FieldRule<boolean, boolean, "optional">;
export function flag(defaultValue?: boolean): FieldRule<boolean, boolean, "defaulted" | "optional"> {
  return rule(
    defaultValue === undefined ? "optional" : "defaulted",
    (value, field, voice) => (typeof value === "boolean" ? accept(value) : reject(voice.notBoolean(field, value))),
    defaultValue,
  );
}

/** The entry of `names` that `value` spells (trimmed, case-insensitive), or undefined. */
export function matchName<T extends string>(names: readonly T[], value: unknown): T | undefined {
  if (typeof value !== "string") return undefined;
  const wanted = value.trim().toLowerCase();
  return names.find((name) => name.toLowerCase() === wanted);
}

/** ` (did you mean "x"?)` for a value close to some of `names`, else "". */
export function hintFor(names: readonly string[], value: unknown): string {
  return suggestion(didYouMean(typeof value === "string" ? value.trim() : "", names));
}

/**
 * One of `names`, in their spelling. `reason` words the failure; it gets the did-you-mean hint
 * (empty when nothing is close).
 */
export function oneOf<const T extends string>(
  names: readonly T[],
  options: { default: T; reason: (value: unknown, hint: string) => string },
): FieldRule<T, T, "defaulted"> {
  return rule(
    "defaulted",
    (value) => {
      const name = matchName(names, value);
      return name === undefined ? reject(options.reason(value, hintFor(names, value))) : accept(name);
    },
    options.default,
  );
}

/** Checked inputs of a resource, inferred from its field table. */
export type InputsOf<F extends Fields> = Flat<
  { [K in KeysWhere<F, "required" | "defaulted">]: ValueOf<F[K]> } & {
    [K in KeysWhere<F, "optional">]?: ValueOf<F[K]>;
  }
>;

/** The args users write in resources/, inferred from the same table: every field a pulumi.Input. */
export type ArgsOf<F extends Fields> = Flat<
  { [K in KeysWhere<F, "required">]: pulumi.Input<ArgOf<F[K]>> } & {
    [K in KeysWhere<F, "defaulted" | "optional">]?: pulumi.Input<ArgOf<F[K]>>;
  }
>;

type Flat<T> = { [K in keyof T]: T[K] };
type KeysWhere<F, P extends Presence> = {
  [K in keyof F]: F[K] extends FieldRule<unknown, unknown, infer Q> ? ([Q] extends [P] ? K : never) : never;
}[keyof F];
type ValueOf<R> = R extends FieldRule<infer T, unknown> ? T : never;
type ArgOf<R> = R extends FieldRule<unknown, infer A> ? A : never;

/** What cross-field rules get: the inputs normalised so far, and which fields passed their rule. */
export interface CheckContext {
  news: Record<string, unknown>;
  inputs: Record<string, unknown>;
  /** Fields that passed their rule with a known value. */
  valid: Set<string>;
  /** Records a failure of `field` (the voice's prefix is added); `property` defaults to the field. */
  fail: (field: string, reason: string, property?: string) => void;
}

export interface CheckSpec<F extends Fields> {
  voice: Voice;
  fields: F;
  /** Rules across fields, run after the field rules. */
  across?: (context: CheckContext) => void | Promise<void>;
}

/**
 * A check() from a field table: each field's rule in table order (unknown values kept as given,
 * a left-out field takes its default), then the cross-field rules. Fields outside the table
 * (`__provider`) pass through.
 */
export function checker<F extends Fields>(
  spec: CheckSpec<F>,
): (olds: Record<string, unknown>, news: Record<string, unknown>) => Promise<pulumi.dynamic.CheckResult> {
  return async (_olds, news) => {
    const failures: pulumi.dynamic.CheckFailure[] = [];
    const inputs: Record<string, unknown> = { ...news };
    const valid = new Set<string>();
    const fail = (field: string, reason: string, property = field) =>
      failures.push({ property, reason: `${spec.voice.prefix(field, news)}${reason}` });

    for (const [field, fieldRule] of Object.entries(spec.fields)) {
      const value = news[field] === undefined ? fieldRule.default : news[field];
      if (isUnknown(value)) continue;
      if (value === undefined && fieldRule.presence !== "required") continue;
      const verdict = fieldRule.judge(value, field, spec.voice);
      if ("problems" in verdict) {
        for (const problem of verdict.problems) fail(field, problem.reason, problem.property);
      } else {
        inputs[field] = verdict.value;
        valid.add(field);
      }
    }
    await spec.across?.({ news, inputs, valid, fail });
    return failures.length > 0 ? { failures } : { inputs };
  };
}

/** A field the table types but whose value is judged across fields (see CheckSpec.across). */
export function judgedAcross<T>(): FieldRule<T, T, "optional"> {
  return rule("optional", (value) => accept(value as T));
}
