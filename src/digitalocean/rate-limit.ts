import type { RateLimit } from './types.js';

/**
 * Reads `ratelimit-limit`, `ratelimit-remaining` and `ratelimit-reset` (epoch seconds); undefined unless all three
 * parse.
 */
export function parseRateLimit(headers: Headers): RateLimit | undefined {
  const limit = Number(headers.get('ratelimit-limit') ?? NaN);
  const remaining = Number(headers.get('ratelimit-remaining') ?? NaN);
  const reset = Number(headers.get('ratelimit-reset') ?? NaN);
  if (![limit, remaining, reset].every(Number.isFinite)) return undefined;
  return { limit, remaining, resetAt: reset * 1000 };
}

export interface PacerOptions {
  /** This client's own budget per sliding minute, whatever the headers say. */
  requestsPerMinute: number;
  /** The window that budget counts over: a minute, shorter only in tests. */
  windowMs: number;
  /**
   * Below this many remaining requests (hourly), spread the rest until the reset instead of spending them. Never more
   * than 5% of the hourly limit (DigitalOcean's burst budget), since the quota returns continuously, not at the reset.
   */
  lowRemaining: number;
  /** The longest single pacing wait. */
  maxWaitMs: number;
  now: () => number;
  /** Rejects with the signal's reason when it aborts. */
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  onThrottle?: (waitMs: number, reason: string) => void;
}

/**
 * Admits requests one at a time through a single queue, so concurrent sagas sharing one client share one budget:
 * (a) never more than `requestsPerMinute` in any 60 s window, (b) when the hourly `remaining` runs low, spread
 * what is left until `resetAt`, and (c) after a 429, nobody goes before the time the headers named.
 */
export class RequestPacer {
  /** When each request in the window last touched the server: its admission, then its reply (the later bound). */
  private admitted: { at: number }[] = [];
  private queue: Promise<void> = Promise.resolve();
  private known: RateLimit | undefined;
  private inFlight = 0;
  private blockedUntil = 0;
  private lastAdmittedAt: number | undefined;

  constructor(private readonly options: PacerOptions) {}

  /**
   * Waits for this request's turn; call the returned function once its reply (or failure) is in. An abort of
   * `signal` rejects at once, whether the request is still queued or in its own pacing wait, and it is never admitted.
   */
  async acquire(signal?: AbortSignal): Promise<() => void> {
    const turn = this.queue.then(() => {
      signal?.throwIfAborted();
      return this.admit(signal);
    });
    this.queue = turn.then(
      () => undefined,
      () => undefined,
    );
    const entry = await (signal ? raceAbort(turn, signal, (late) => this.release(late)) : turn);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.release(entry);
    };
  }

  private release(entry: { at: number }): void {
    this.inFlight -= 1;
    // The server counted the request somewhere between admission and reply: counting it from the reply keeps
    // this budget's window from freeing a slot before the server's does.
    entry.at = this.options.now();
  }

  /**
   * Headers of a reply. A per-minute 429 (one with retry-after) reports `remaining: 0` although the hourly quota is
   * left, so its count is not taken as the hourly state.
   */
  observe(rateLimit: RateLimit | undefined, burstRefusal: boolean): void {
    if (rateLimit && !burstRefusal) this.known = rateLimit;
  }

  /** After a 429: hold every request, not just the refused one, until the time the headers named. */
  holdUntil(epochMs: number): void {
    this.blockedUntil = Math.max(this.blockedUntil, epochMs);
  }

  private async admit(signal: AbortSignal | undefined): Promise<{ at: number }> {
    const { waitMs, reason } = this.nextWait(this.options.now());
    if (waitMs > 0) {
      this.options.onThrottle?.(waitMs, reason);
      await this.options.sleep(waitMs, signal);
      signal?.throwIfAborted();
    }
    const entry = { at: this.options.now() };
    this.admitted.push(entry);
    this.lastAdmittedAt = entry.at;
    this.inFlight += 1;
    return entry;
  }

  private nextWait(now: number): { waitMs: number; reason: string } {
    this.admitted = this.admitted.filter((e) => e.at > now - this.options.windowMs);
    const waits: { waitMs: number; reason: string }[] = [
      { waitMs: this.blockedUntil - now, reason: 'rate limited (429): waiting as DigitalOcean asked' },
    ];
    if (this.admitted.length >= this.options.requestsPerMinute) {
      const times = this.admitted.map((e) => e.at).sort((a, b) => a - b);
      const oldest = times[times.length - this.options.requestsPerMinute] ?? now;
      waits.push({
        waitMs: oldest + this.options.windowMs - now,
        reason: `client budget of ${this.options.requestsPerMinute} requests a minute reached`,
      });
    }
    waits.push(this.spreadWait(now));
    const longest = waits.reduce((a, b) => (b.waitMs > a.waitMs ? b : a));
    return { waitMs: Math.min(Math.ceil(longest.waitMs), this.options.maxWaitMs), reason: longest.reason };
  }

  /** Requests still in flight have not been counted by the server yet: subtract them from its `remaining`. */
  private spreadWait(now: number): { waitMs: number; reason: string } {
    const known = this.known;
    if (!known || known.resetAt <= now) return { waitMs: 0, reason: '' };
    const estimate = known.remaining - this.inFlight;
    if (estimate > Math.min(this.options.lowRemaining, Math.ceil(known.limit / 20))) return { waitMs: 0, reason: '' };
    const reason =
      `only ${Math.max(estimate, 0)} of ${known.limit} hourly requests left: ` + 'spreading them until the reset';
    if (estimate <= 0) return { waitMs: known.resetAt - now, reason };
    const interval = (known.resetAt - now) / estimate;
    const last = this.lastAdmittedAt;
    return { waitMs: last === undefined ? 0 : last + interval - now, reason };
  }
}

/**
 * A queued request's turn, or the abort's reason as soon as the signal aborts. A turn admitted in the same instant
 * its waiter gave up goes to `abandoned`, so the slot is not held in flight forever.
 */
function raceAbort(
  turn: Promise<{ at: number }>,
  signal: AbortSignal,
  abandoned: (entry: { at: number }) => void,
): Promise<{ at: number }> {
  return new Promise((resolve, reject) => {
    let gaveUp = false;
    const onAbort = (): void => {
      gaveUp = true;
      reject(signal.reason);
    };
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    turn.then(
      (entry) => {
        signal.removeEventListener('abort', onAbort);
        if (gaveUp) abandoned(entry);
        else resolve(entry);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
