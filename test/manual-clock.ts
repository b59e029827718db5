// A clock for the client (ClientOptions.clock) that only moves when a test moves it: timeouts,
// the slow-request notice and waits between retries fire on `advance`, so a test states how much
// time passes instead of sleeping or measuring it. A zero wait fires at once (no time passes).
import type { Clock } from "../connectwise/clock";

interface Timer {
  at: number;
  callback: () => void;
}

export class ManualClock implements Clock {
  private time = 0;
  private nextId = 1;
  private readonly timers = new Map<number, Timer>();
  /** Every wait asked for (ms), in order. */
  readonly requested: number[] = [];

  now(): number {
    return this.time;
  }

  setTimeout(callback: () => void, ms: number): unknown {
    const id = this.nextId++;
    this.requested.push(ms);
    if (ms <= 0) {
      setImmediate(() => {
        if (this.timers.delete(id)) callback();
      });
      this.timers.set(id, { at: this.time, callback: () => undefined });
      return id;
    }
    this.timers.set(id, { at: this.time + ms, callback });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as number);
  }

  /** The waits pending, in ms from now, soonest first. */
  pending(): number[] {
    return [...this.timers.values()].map((t) => t.at - this.time).sort((a, b) => a - b);
  }

  /**
   * Moves time forward by `ms`, firing each timer that falls due on the way, in order, and
   * letting the code under test react (I/O included) before the next.
   */
  async advance(ms: number): Promise<void> {
    const target = this.time + ms;
    for (;;) {
      await settle();
      const due = [...this.timers.entries()].filter(([, t]) => t.at <= target).sort(([, a], [, b]) => a.at - b.at)[0];
      if (!due) break;
      const [id, timer] = due;
      this.timers.delete(id);
      this.time = Math.max(this.time, timer.at);
      timer.callback();
    }
    this.time = target;
    await settle();
  }
}

/** Lets pending callbacks and I/O run (a few turns of the event loop; no time is measured). */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
}

/**
 * Resolves once `check` holds, polling on the event loop (real I/O is what it waits for); fails
 * with `what` after `tries` polls, about 20 s.
 */
export async function until(check: () => boolean | Promise<boolean>, what: string, tries = 1000): Promise<void> {
  for (let i = 0; i < tries; i++) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`gave up waiting for ${what}`);
}
