// Injected faults for /apis/3.0 requests: latency, 429 with Retry-After, 503, and connections
// destroyed without an answer. Each rate is an independent chance per request. `injectFaults`
// is the step in front of the API plane, as a rate limiter in front of the real app would be.

import type { Plane } from "./http";

export interface Faults {
  latencyMs: number;
  rate429: number;
  rate503: number;
  rateDrop: number;
  retryAfterSeconds: number;
}

export const NO_FAULTS: Faults = { latencyMs: 0, rate429: 0, rate503: 0, rateDrop: 0, retryAfterSeconds: 1 };

export type FaultOutcome = "drop" | "429" | "503" | undefined;

/** Validates and merges a partial update; throws with a message naming the bad field. */
export function mergeFaults(current: Faults, update: unknown): Faults {
  if (update === null || typeof update !== "object" || Array.isArray(update))
    throw new Error("faults must be an object");
  const next = { ...current };
  for (const [k, v] of Object.entries(update)) {
    if (!(k in NO_FAULTS)) throw new Error(`unknown fault '${k}' (known: ${Object.keys(NO_FAULTS).join(", ")})`);
    const isRate = k.startsWith("rate");
    if (typeof v !== "number" || !Number.isFinite(v) || v < 0 || (isRate && v > 1)) {
      throw new Error(`fault '${k}' must be a number ${isRate ? "between 0 and 1" : ">= 0"}`);
    }
    next[k as keyof Faults] = v;
  }
  return next;
}

export function drawFault(faults: Faults, random: () => number = Math.random): FaultOutcome {
  if (faults.rateDrop > 0 && random() < faults.rateDrop) return "drop";
  if (faults.rate429 > 0 && random() < faults.rate429) return "429";
  if (faults.rate503 > 0 && random() < faults.rate503) return "503";
  return undefined;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** `next` behind the faults: the body is read first (a slow upload is not latency), then latency, then one draw. */
export function injectFaults(current: () => Faults, next: Plane): Plane {
  return async (req) => {
    let text: string;
    try {
      text = await req.body();
    } catch {
      return next(req); // the plane answers a body it cannot read (413)
    }
    if (current().latencyMs > 0) await sleep(current().latencyMs);
    const faults = current();
    const fault = drawFault(faults);
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
    return next(req);
  };
}
