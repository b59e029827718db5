// A per-tenant bound on requests in flight, shared by every client of that tenant in the
// process (all resources of a stack, and clients acting as other members), so a large stack
// cannot flood one ConnectWise site. Waiters are served first come, first served.

export class Limiter {
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private limit: number) {
    checkLimit(limit);
  }

  /** A later explicit setting replaces the tenant's limit; waiters are admitted at once if it grew. */
  setLimit(limit: number): void {
    checkLimit(limit);
    this.limit = limit;
    this.admit();
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    await this.acquire();
    try {
      return await task();
    } finally {
      this.active--;
      this.admit();
    }
  }

  private acquire(): Promise<void> {
    if (this.active < this.limit && this.waiting.length === 0) {
      this.active++;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private admit(): void {
    while (this.active < this.limit && this.waiting.length > 0) {
      this.active++;
      this.waiting.shift()!();
    }
  }
}

function checkLimit(limit: number): void {
  if (!Number.isInteger(limit) || limit < 1) throw new Error(`concurrency must be a positive integer, got ${limit}`);
}

export const DEFAULT_CONCURRENCY = 4;

// By default process-wide: the limit is per tenant, not per client. Holds no credentials. A
// provider context brings its own map (ClientOptions.tenants), shared by all its clients.
const processLimiters = new Map<string, Limiter>();

export function tenantLimiter(
  tenantKey: string,
  concurrency: number | undefined,
  tenantLimiters: Map<string, Limiter> = processLimiters,
): Limiter {
  let limiter = tenantLimiters.get(tenantKey);
  if (!limiter) {
    limiter = new Limiter(concurrency ?? DEFAULT_CONCURRENCY);
    tenantLimiters.set(tenantKey, limiter);
  } else if (concurrency !== undefined) {
    limiter.setLimit(concurrency);
  }
  return limiter;
}
