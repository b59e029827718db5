// The request log the console exposes: per "METHOD /path" counts (numeric ids as {id}) and the
// newest entries, bounded. Bodies are stored with credential-bearing fields masked; headers are
// never stored.

export interface LogEntry {
  method: string;
  path: string;
  query: string;
  status: number;
  /**
   * Set when an injected fault answered instead of the API ("drop": no answer, status 0), or
   * lost the API's answer ("lostAnswer": the API acted; status 0 or the gateway's 502/504, and
   * responseBody what the API answered when the connection was dropped).
   */
  fault?: "429" | "503" | "drop" | "lostAnswer";
  requestBody: unknown;
  responseBody: unknown;
  at: string;
}

const SECRET_FIELDS = new Set(["privatekey", "password"]);

function mask(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(mask);
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [k, SECRET_FIELDS.has(k.toLowerCase()) ? "***" : mask(v)]),
  );
}

export function countKey(method: string, path: string): string {
  return `${method} ${path.replace(/\/\d+(?=\/|$)/g, "/{id}")}`;
}

export class RequestLog {
  private entries: LogEntry[] = [];
  private counts = new Map<string, number>();

  constructor(private readonly capacity = 5000) {}

  add(entry: LogEntry): void {
    const key = countKey(entry.method, entry.path);
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
    this.entries.push({ ...entry, requestBody: mask(entry.requestBody), responseBody: mask(entry.responseBody) });
    // Trim in batches so the amortised cost per request stays constant.
    if (this.entries.length > this.capacity * 1.25) this.entries = this.entries.slice(-this.capacity);
  }

  view(): { counts: Record<string, number>; entries: LogEntry[] } {
    return { counts: Object.fromEntries(this.counts), entries: this.entries.slice(-this.capacity) };
  }

  reset(): void {
    this.entries = [];
    this.counts.clear();
  }
}
