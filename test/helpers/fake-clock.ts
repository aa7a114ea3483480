import type { Clock } from '../../src/engine/clock.js';

interface Sleeper {
  until: number;
  resolve: () => void;
  reject: (reason: unknown) => void;
  signal: AbortSignal | undefined;
  onAbort: () => void;
}

/**
 * A Clock for unit tests. By default every `sleep(ms)` moves `now()` forward by `ms` and resolves on the next turn
 * of the event loop (setImmediate, so real timers such as the runner's heartbeat still get their turn), which runs
 * hours of waiting in microseconds. With `autoAdvance: false`, sleeps wait until the test calls `advance()`.
 * Either way a sleep rejects with the signal's reason as soon as its AbortSignal aborts (or at once if it already has).
 */
export class FakeClock implements Clock {
  private current: number;
  private readonly autoAdvance: boolean;
  private readonly sleepers: Sleeper[] = [];
  /** Every requested sleep, in order, in ms. */
  readonly sleeps: number[] = [];

  constructor(options: { start?: number; autoAdvance?: boolean } = {}) {
    this.current = options.start ?? Date.UTC(2026, 0, 1, 12, 0, 0);
    this.autoAdvance = options.autoAdvance ?? true;
  }

  now(): number {
    return this.current;
  }

  /** Sleeps started and not yet woken (manual mode). */
  get pending(): number {
    return this.sleepers.length;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    this.sleeps.push(ms);
    return new Promise<void>((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      if (this.autoAdvance) {
        this.current += Math.max(0, ms);
        const onAbort = (): void => {
          clearImmediate(handle);
          reject(signal?.reason);
        };
        const handle = setImmediate(() => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        });
        signal?.addEventListener('abort', onAbort, { once: true });
        return;
      }
      const sleeper: Sleeper = {
        until: this.current + Math.max(0, ms),
        resolve,
        reject,
        signal,
        onAbort: () => {
          this.remove(sleeper);
          reject(signal?.reason);
        },
      };
      this.sleepers.push(sleeper);
      signal?.addEventListener('abort', sleeper.onAbort, { once: true });
    });
  }

  /** Moves time forward, waking (in time order) every sleep that is due. */
  advance(ms: number): void {
    this.current += ms;
    const due = this.sleepers.filter((s) => s.until <= this.current).sort((a, b) => a.until - b.until);
    for (const sleeper of due) {
      this.remove(sleeper);
      sleeper.signal?.removeEventListener('abort', sleeper.onAbort);
      sleeper.resolve();
    }
  }

  /** Sets the time without waking anyone (e.g. to make a heartbeat look old). */
  set(ms: number): void {
    this.current = ms;
  }

  /** Resolves once at least `count` sleeps are pending (manual mode), polling the real event loop. */
  async waitForSleepers(count = 1, timeoutMs = 5_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.sleepers.length < count) {
      if (Date.now() > deadline) throw new Error(`expected ${count} pending sleep(s), have ${this.sleepers.length}`);
      await new Promise((r) => setTimeout(r, 2));
    }
  }

  private remove(sleeper: Sleeper): void {
    const i = this.sleepers.indexOf(sleeper);
    if (i >= 0) this.sleepers.splice(i, 1);
  }
}
