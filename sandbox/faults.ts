// Injected faults for /apis/3.0 requests: latency, 429 with Retry-After, 503, and connections
// destroyed without an answer. Each rate is an independent chance per request, drawn from a
// generator seeded with `seed`: the same seed and the same requests draw the same faults, and
// each change of the faults starts the draws again from the seed. `injectFaults`
// is the step in front of the API plane, as a rate limiter in front of the real app would be.
// `loseAnswers` is targeted instead: the API acts on a matching request, then its answer is lost
// (the connection is destroyed, or a gateway's 502/504 comes back), as when a connection drops
// after the server committed a create. `reshape` is targeted too: a matching request is carried
// out, then a field of its answer is dropped or replaced (as a newer or broken API version might
// answer), so the client's refusal of a wrong-shaped answer can be exercised.

import type { Plane, PlaneReply, PlaneRequest } from "./http";

/** One request kind whose answer is lost after the API acted on it, `count` times. */
export interface LostAnswer {
  method: string;
  // The path under /apis/3.0, `*` for one segment, compared case-insensitively:
  // "/system/members/*/tokens".
  path: string;
  /** How many matching requests lose their answer (default 1); the rule is gone once used up. */
  count: number;
  /**
   * What the client gets instead of the answer: nothing ("drop", default), a gateway's 502 or
   * 504, or nothing ever ("hang": the connection stays open until the client gives up or dies).
   */
  reply: "drop" | "502" | "504" | "hang";
}

/**
 * One request kind whose 2xx answer comes back with `field` dropped (no `value` given) or set to
 * `value` (null included): on the answer object, or on each item of a list answer (only item
 * `item`, 0-based, when given). It stays until the faults are replaced.
 */
export interface Reshape {
  method: string;
  /** As in LostAnswer: under /apis/3.0, `*` for one segment. */
  path: string;
  field: string;
  value?: unknown;
  item?: number;
}

export interface Faults {
  latencyMs: number;
  rate429: number;
  rate503: number;
  rateDrop: number;
  retryAfterSeconds: number;
  /** Seeds the draws of the rates above (an integer from 0 to 2^32 - 1). */
  seed: number;
  loseAnswers: LostAnswer[];
  reshape: Reshape[];
}

export const NO_FAULTS: Faults = {
  latencyMs: 0,
  rate429: 0,
  rate503: 0,
  rateDrop: 0,
  retryAfterSeconds: 1,
  seed: 1,
  loseAnswers: [],
  reshape: [],
};

export type FaultOutcome = "drop" | "429" | "503" | "lostAnswer" | undefined;

const REPLIES: LostAnswer["reply"][] = ["drop", "502", "504", "hang"];

function lostAnswers(value: unknown): LostAnswer[] {
  const shape = 'loseAnswers must be a list of {method, path, count?, reply?: "drop" | "502" | "504" | "hang"}';
  if (!Array.isArray(value)) throw new Error(shape);
  return value.map((raw: unknown) => {
    const rule = (raw ?? {}) as Record<string, unknown>;
    const count = rule.count ?? 1;
    const reply = rule.reply ?? "drop";
    if (
      typeof raw !== "object" ||
      Array.isArray(raw) ||
      typeof rule.method !== "string" ||
      typeof rule.path !== "string" ||
      !rule.path.startsWith("/") ||
      typeof count !== "number" ||
      !Number.isInteger(count) ||
      count < 1 ||
      !REPLIES.includes(reply as LostAnswer["reply"])
    )
      throw new Error(shape);
    return { method: rule.method.toUpperCase(), path: rule.path, count, reply: reply as LostAnswer["reply"] };
  });
}

function reshapes(value: unknown): Reshape[] {
  const shape = "reshape must be a list of {method, path, field, value?, item?}";
  if (!Array.isArray(value)) throw new Error(shape);
  return value.map((raw: unknown) => {
    const rule = (raw ?? {}) as Record<string, unknown>;
    if (
      typeof raw !== "object" ||
      Array.isArray(raw) ||
      typeof rule.method !== "string" ||
      typeof rule.path !== "string" ||
      !rule.path.startsWith("/") ||
      typeof rule.field !== "string" ||
      rule.field === "" ||
      (rule.item !== undefined && (typeof rule.item !== "number" || !Number.isInteger(rule.item) || rule.item < 0))
    )
      throw new Error(shape);
    const out: Reshape = { method: rule.method.toUpperCase(), path: rule.path, field: rule.field };
    if ("value" in rule) out.value = rule.value;
    if (rule.item !== undefined) out.item = rule.item;
    return out;
  });
}

/** Validates and merges a partial update; throws with a message naming the bad field. */
export function mergeFaults(current: Faults, update: unknown): Faults {
  if (update === null || typeof update !== "object" || Array.isArray(update))
    throw new Error("faults must be an object");
  const next = { ...current, loseAnswers: [...current.loseAnswers], reshape: [...current.reshape] };
  for (const [k, v] of Object.entries(update)) {
    if (!(k in NO_FAULTS)) throw new Error(`unknown fault '${k}' (known: ${Object.keys(NO_FAULTS).join(", ")})`);
    if (k === "loseAnswers") {
      next.loseAnswers = lostAnswers(v);
      continue;
    }
    if (k === "reshape") {
      next.reshape = reshapes(v);
      continue;
    }
    if (k === "seed" && (typeof v !== "number" || !Number.isInteger(v) || v < 0 || v > 0xffffffff))
      throw new Error("fault 'seed' must be an integer from 0 to 4294967295");
    const isRate = k.startsWith("rate");
    if (typeof v !== "number" || !Number.isFinite(v) || v < 0 || (isRate && v > 1)) {
      throw new Error(`fault '${k}' must be a number ${isRate ? "between 0 and 1" : ">= 0"}`);
    }
    next[k as Exclude<keyof Faults, "loseAnswers" | "reshape">] = v;
  }
  return next;
}

/** A small seeded generator (mulberry32): numbers in [0, 1), the same sequence for the same seed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// One generator per faults setting: a change of the faults (a new object) starts from its seed.
const generators = new WeakMap<Faults, () => number>();

function generatorFor(faults: Faults): () => number {
  let random = generators.get(faults);
  if (!random) {
    random = seededRandom(faults.seed);
    generators.set(faults, random);
  }
  return random;
}

export function drawFault(faults: Faults, random: () => number = Math.random): FaultOutcome {
  if (faults.rateDrop > 0 && random() < faults.rateDrop) return "drop";
  if (faults.rate429 > 0 && random() < faults.rate429) return "429";
  if (faults.rate503 > 0 && random() < faults.rate503) return "503";
  return undefined;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function matches(rule: { method: string; path: string }, method: string, path: string): boolean {
  const want = rule.path.toLowerCase().split("/");
  const have = path.toLowerCase().replace(/\/+$/, "").split("/");
  return (
    rule.method === method.toUpperCase() &&
    want.length === have.length &&
    want.every((segment, i) => segment === "*" || segment === have[i])
  );
}

/** Uses up one matching `loseAnswers` rule (dropping it at 0); its reply, or undefined when none matches. */
function takeLostAnswer(faults: Faults, req: PlaneRequest, path: string): LostAnswer["reply"] | undefined {
  const rule = faults.loseAnswers.find((r) => matches(r, req.method, path));
  if (!rule) return undefined;
  rule.count -= 1;
  if (rule.count <= 0) faults.loseAnswers.splice(faults.loseAnswers.indexOf(rule), 1);
  return rule.reply;
}

/**
 * `next` behind the faults: the body is read first (a slow upload is not latency), then latency,
 * then one draw; a request matching `loseAnswers` is carried out and its answer lost. `path` gives
 * a request's path under /apis/3.0.
 */
export function injectFaults(current: () => Faults, next: Plane, path: (req: PlaneRequest) => string): Plane {
  return async (req) => {
    let text: string;
    try {
      text = await req.body();
    } catch {
      return next(req); // the plane answers a body it cannot read (413)
    }
    if (current().latencyMs > 0) await sleep(current().latencyMs);
    const faults = current();
    const fault = drawFault(faults, generatorFor(faults));
    const requestBody = text || undefined;
    if (fault === "drop") return { status: 0, drop: true, fault, requestBody };
    if (fault === "429")
      return {
        status: 429,
        body: { code: "TooManyRequests", message: "Rate limit exceeded; retry after the Retry-After interval." },
        headers: { "Retry-After": String(faults.retryAfterSeconds) },
        fault,
        requestBody,
      };
    if (fault === "503")
      return {
        status: 503,
        body: { code: "ServiceUnavailable", message: "The service is temporarily unavailable." },
        fault,
        requestBody,
      };
    const lost = takeLostAnswer(faults, req, path(req));
    if (lost === undefined) return reshaped(faults, req, path(req), await next(req));
    // The API acts (and persists) first; only then is the answer lost.
    const acted = await next(req);
    const logged = { fault: "lostAnswer" as const, requestBody: acted.requestBody ?? requestBody, body: acted.body };
    if (lost === "drop") return { status: 0, drop: true, ...logged };
    // Never answered: the sandbox's close() ends the connection.
    if (lost === "hang") return new Promise<never>(() => undefined);
    const status = Number(lost);
    const code = status === 502 ? "BadGateway" : "GatewayTimeout";
    return { status, ...logged, body: { code, message: `The gateway lost the answer (${status})` } };
  };
}

/** The answer with each matching `reshape` rule applied (2xx object or list answers only). */
function reshaped(faults: Faults, req: PlaneRequest, path: string, answer: PlaneReply): PlaneReply {
  const rules = faults.reshape.filter((r) => matches(r, req.method, path));
  if (rules.length === 0 || answer.status < 200 || answer.status > 299 || typeof answer.body !== "object")
    return answer;
  const body: unknown = structuredClone(answer.body);
  for (const rule of rules) {
    const targets = Array.isArray(body) ? (rule.item === undefined ? body : [body[rule.item]]) : [body];
    for (const target of targets) {
      if (target === null || typeof target !== "object") continue;
      const record = target as Record<string, unknown>;
      if ("value" in rule) record[rule.field] = rule.value;
      else delete record[rule.field];
    }
  }
  return { ...answer, body };
}
