// The lifecycle kit: a resource is one definition (its type, field table, voice, cross-field
// rules, release policy and the handlers that are truly its own), and lifecycle() turns it into
// the pulumi.dynamic.ResourceProvider the engine calls. From the definition come check() (the
// field table), the input diff handed to diff() (which fields changed, which force a
// replacement: the table's flags), release-on-delete, and the HandlerContext every handler gets
// (built by configure(), see ./context.ts). Also here: the one DiffResult type, the guard for
// values still unknown during preview, and create-or-recover after a POST whose answer was lost.

import type * as pulumi from "@pulumi/pulumi";
import type { ConnectWiseClient } from "../../connectwise/client";
import { outcomeUnknown } from "../../connectwise/errors";
import type { DiffWithDetails, PropertyDiff } from "../../pulumi-runtime/diagnostics";
import { CheckContext, Fields, Voice, checker, containsUnknown, isUnknown } from "../handlerKit";
import { HandlerContext, contextFor } from "./context";
import { operationState } from "../../connectwise/operationScope";

export { HandlerContext };

// ---- Diff results --------------------------------------------------------------------------

/** What every diff() returns: the SDK's result, plus the per-property detail our provider server passes on. */
export type DiffResult = DiffWithDetails;
export type DetailedDiff = Record<string, PropertyDiff>;

/** A diff result; `detailedDiff` only when some property is named (an empty one would hide the engine's own). */
export function diffResult(changes: boolean, replaces: string[] = [], details: DetailedDiff = {}): DiffResult {
  return {
    changes,
    replaces,
    deleteBeforeReplace: false,
    ...(Object.keys(details).length > 0 ? { detailedDiff: details } : {}),
  };
}

/** Which inputs changed since the last run, by the field table. */
export interface InputDiff {
  /** Fields whose value changed (or is still unknown), in table order; "ignored" fields never. */
  changed: string[];
  /** The changed fields whose change replaces the object. */
  replaces: string[];
}

const sameJson = (old: unknown, now: unknown): boolean => JSON.stringify(old ?? null) === JSON.stringify(now ?? null);

/** The input diff of a field table: each field's `same` (default: the same JSON) and `replaces` flags. */
export function inputDiff(fields: Fields, olds: object, news: object): InputDiff {
  const before = olds as Record<string, unknown>;
  const after = news as Record<string, unknown>;
  const changed: string[] = [];
  const replaces: string[] = [];
  for (const [name, rule] of Object.entries(fields)) {
    if (rule.same === "ignored") continue;
    const same = rule.same ?? sameJson;
    if (!isUnknown(after[name]) && same(before[name], after[name])) continue;
    changed.push(name);
    if (rule.replaces === true || (typeof rule.replaces === "function" && rule.replaces(after))) replaces.push(name);
  }
  return { changed, replaces };
}

/** Each field as an input change (`kind` "update", or "add" for a field the last run did not have, when asked). */
export function inputDetails(fields: string[], olds?: object): DetailedDiff {
  const before = olds as Record<string, unknown> | undefined;
  return Object.fromEntries(
    fields.map((name) => [
      name,
      { kind: before && before[name] === undefined ? "add" : "update", inputDiff: true } satisfies PropertyDiff,
    ]),
  );
}

/** True while some of these inputs are still unknown (preview): diff() cannot compare them with live yet. */
export function stillUnknown(news: object, fields: string[]): boolean {
  const values = news as Record<string, unknown>;
  return containsUnknown(fields.map((name) => values[name]));
}

/** Names and values compare as ConnectWise matches them: case-insensitively, unset as "". */
export const sameName = (old: unknown, now: unknown): boolean => lower(old) === lower(now);
const lower = (value: unknown): string => (typeof value === "string" ? value.toLowerCase() : "");

/** Texts compare exactly, unset as "". */
export const sameText = (old: unknown, now: unknown): boolean => (old ?? "") === (now ?? "");

// ---- Create or recover ---------------------------------------------------------------------

export interface PostOrRecover<T, F> {
  /** The resource's label, e.g. `SecurityRole ElementsAPI`. */
  label: string;
  /** What the POST creates, e.g. "role". */
  noun: string;
  /** "companyId at host". */
  tenant: string;
  post: () => Promise<T>;
  /** A failure that is not a lost answer, turned into the error to throw (undefined: as it is). */
  refused?: (error: unknown) => Error | undefined | Promise<Error | undefined>;
  /** The object by its natural key (role name, member identifier). */
  find: () => Promise<F | undefined>;
  /** What was looked for, e.g. `no role of that name`. */
  absent: string;
  /**
   * The found object, proved to be the one this POST created (the ownership proof is the
   * resource's own) and taken; throws when it is not provably so. `why` is the lost answer's message.
   */
  take: (found: F, why: string, error: Error) => Promise<T>;
}

/**
 * POSTs; when the answer is lost (the server may have created the object: the client's
 * `outcomeUnknown`), the object is looked up by its natural key and handed to `take`, or the
 * failure says nothing was created.
 */
export async function postOrRecover<T, F>(spec: PostOrRecover<T, F>): Promise<T> {
  try {
    return await spec.post();
  } catch (error) {
    const refusal = await spec.refused?.(error);
    if (refusal) throw refusal;
    if (!outcomeUnknown(error)) throw error;
    const why = (error as Error).message;
    const found = await spec.find();
    if (!found)
      throw new Error(
        `${spec.label}: the POST that creates the ${spec.noun} got no answer (${why}), and ${spec.absent} exists ` +
          `on ${spec.tenant}: nothing was created; the next up creates it`,
        { cause: error },
      );
    return spec.take(found, why, error as Error);
  }
}

/**
 * What identifies the object a create makes (a role's name, a member's identifier): a create
 * looks it up before its POST, and again after a POST whose answer was lost.
 */
export interface NaturalKey<I, F> {
  /** What the POST creates, for messages: "role". */
  noun: string;
  /** What was looked for, for messages: `no role of that name`. */
  absent: (inputs: I) => string;
  find: (client: ConnectWiseClient, inputs: I) => Promise<F | undefined>;
}

export interface CreateOrRecover<T, F> {
  label: string;
  /** An object of the key that exists before the POST: adopted, taken back, or refused (throws). */
  existing: (found: F) => Promise<T>;
  /** Once no object of the key exists, before the POST (outside its recovery): e.g. the ids it names. */
  prepare?: () => Promise<void>;
  post: () => Promise<T>;
  refused?: (error: unknown) => Error | undefined | Promise<Error | undefined>;
  /** After a lost answer: see PostOrRecover.take. */
  take: (found: F, why: string, error: Error) => Promise<T>;
}

/** Create by natural key: what exists is handed to `existing`, else POST (and recover after a lost answer). */
export async function createOrRecover<I, F, T>(
  key: NaturalKey<I, F>,
  client: ConnectWiseClient,
  inputs: I,
  steps: CreateOrRecover<T, F>,
): Promise<T> {
  const existing = await key.find(client, inputs);
  if (existing) return steps.existing(existing);
  await steps.prepare?.();
  return postOrRecover({
    label: steps.label,
    noun: key.noun,
    tenant: client.tenant,
    post: steps.post,
    refused: steps.refused,
    find: () => key.find(client, inputs),
    absent: key.absent(inputs),
    take: steps.take,
  });
}

// ---- Release on delete ---------------------------------------------------------------------

/** What destroy does with an object the stack did not make. */
export interface Release<O> {
  /** True when destroy leaves the object as it is (sends nothing). */
  keeps: (props: O) => boolean;
  /** Says so, with where the operator removes it by hand. */
  announce: (id: string, props: O) => void;
}

/**
 * The usual policy: an adopted object (`adopted` in the outputs) is released as it is unless the
 * program set `flag` (deleteAdopted, deactivateAdopted).
 */
export function releaseAdopted<O extends { adopted?: boolean }>(
  flag: keyof O & string,
  announce: (id: string, props: O) => void,
): Release<O> {
  return { keeps: (props) => props.adopted === true && !props[flag], announce };
}

// ---- The definition ------------------------------------------------------------------------

/** One resource: what lifecycle() builds its provider from. `I` the checked inputs, `O` the outputs. */
export interface Definition<I, O> {
  /** The resource type, e.g. "SecurityRole". */
  type: string;
  /** The field table: check()'s rules, diff()'s flags. */
  fields: Fields;
  /** How its messages read. */
  voice: Voice;
  /** Rules across fields, after the field rules (tenant lookups, combinations). */
  across?: (check: CheckContext, olds: Record<string, unknown>, context: HandlerContext) => void | Promise<void>;
  /** What check() adds once the rules passed or failed (preview lines, refusals naming other resources). */
  afterCheck?: (
    result: pulumi.dynamic.CheckResult,
    olds: Record<string, unknown>,
    news: Record<string, unknown>,
    context: HandlerContext,
  ) => Promise<pulumi.dynamic.CheckResult>;
  /** Destroy of an object the stack did not make; absent: delete() always runs. */
  release?: Release<O>;
  /** The live comparison; `input` is the field table's diff of olds and news. */
  diff: (context: HandlerContext, id: string, olds: O, news: I, input: InputDiff) => Promise<DiffResult>;
  create: (context: HandlerContext, inputs: I & Record<string, unknown>) => Promise<pulumi.dynamic.CreateResult>;
  read: (context: HandlerContext, id: string, props: O & Record<string, unknown>) => Promise<pulumi.dynamic.ReadResult>;
  update: (
    context: HandlerContext,
    id: string,
    olds: O,
    news: I & Record<string, unknown>,
  ) => Promise<pulumi.dynamic.UpdateResult>;
  delete: (context: HandlerContext, id: string, props: O) => Promise<void>;
}

/**
 * The provider of a definition. Its shape is pulumi.dynamic.ResourceProvider, so the SDK's stock
 * dynamic-provider server runs it as ours does; configure() builds the context (one per stack
 * config, shared by the resource types), and a call before any configure() gets the one of the
 * CONNECTWISE_* environment.
 */
export function lifecycle<I, O>(definition: Definition<I, O>): Required<pulumi.dynamic.ResourceProvider> {
  // Per operation (connectwise/operationScope.ts): the fleet configures this same object for
  // every stack it serves in one process.
  const key = Symbol(`${definition.type} context`);
  const configured = () => operationState(key, () => ({ context: undefined as HandlerContext | undefined }));
  const current = (): HandlerContext => (configured().context ??= contextFor(undefined));
  return {
    configure: (req: pulumi.dynamic.ConfigureRequest) => {
      configured().context = contextFor(req.config);
      return Promise.resolve();
    },
    check: async (olds: Record<string, unknown>, news: Record<string, unknown>) => {
      const across = definition.across;
      const result = await checker({
        voice: definition.voice,
        fields: definition.fields,
        across: across && ((check) => across(check, olds, current())),
      })(olds, news);
      return definition.afterCheck ? definition.afterCheck(result, olds, news, current()) : result;
    },
    diff: (id: string, olds: O, news: I) =>
      definition.diff(current(), id, olds, news, inputDiff(definition.fields, olds as object, news as object)),
    create: (inputs: I & Record<string, unknown>) => definition.create(current(), inputs),
    read: (id: string, props: O & Record<string, unknown>) => definition.read(current(), id, props),
    update: (id: string, olds: O, news: I & Record<string, unknown>) => definition.update(current(), id, olds, news),
    delete: (id: string, props: O) => {
      if (definition.release?.keeps(props)) {
        definition.release.announce(id, props);
        return Promise.resolve();
      }
      return definition.delete(current(), id, props);
    },
  };
}
