import { reserveCount, reserveDecision, type QuotaState } from './rate-reserve.js';
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
  /** The share of the hourly quota (0 to 0.99) never spent: left to the other tools using the token. */
  reserveFraction: number;
  /** While the quota is below the reserve, the longest gap between two probes. Default a minute. */
  maxProbeGapMs?: number;
  /** The longest single pacing wait; a longer one is taken in steps, re-deciding after each. */
  maxWaitMs: number;
  now: () => number;
  /** Rejects with the signal's reason when it aborts. */
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  onThrottle?: (waitMs: number, reason: string) => void;
}

/** A reply's rate-limit headers may say the hourly count is reached; a burst refusal's `remaining: 0` does not. */
export type QuotaSignal = 'reply' | 'burst-refusal' | 'refusal';

/** DigitalOcean's reset is at most an hour away (the oldest request's expiry): anything later is not believed. */
const LONGEST_RESET_MS = 3_600_000 + 1000;
/** Why a request is not admitted yet: `reply` waits for another request's reply, the others for a time. */
interface Wait {
  waitMs: number;
  reason: string;
  kind: 'hold' | 'burst' | 'reserve' | 'reply';
}

function settable(): { promise: Promise<void>; resolve: () => void } {
  let resolve = (): void => undefined;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

/** `promise`, or the signal's reason as soon as it aborts. */
function untilAborted(promise: Promise<void>, signal: AbortSignal | undefined): Promise<void> {
  if (!signal) return promise;
  signal.throwIfAborted();
  return new Promise((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    void promise.then(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    });
  });
}

/** One token's hourly budget as the pacer keeps it. */
interface Budget {
  known: RateLimit | undefined;
  inFlight: number;
  /** Below the reserve: the gap before the next probe, doubling from 1 s. */
  probeGapMs: number;
  probeNotBefore: number;
}

/** A probe a minute at most while another tool holds the quota below the reserve: 60 of 5,000 an hour. */
const DEFAULT_MAX_PROBE_GAP_MS = 60_000;

/** The budget of a pacer used for one token only. */
const DEFAULT_TOKEN_KEY = 'token';

/**
 * Admits requests one at a time through a single queue, so concurrent sagas sharing one client share one budget:
 * (a) never more than `requestsPerMinute` in any window, (b) never into the hourly reserve (`reserveDecision`), and
 * (c) after a 429, nobody goes before the time it named.
 */
export class RequestPacer {
  /** When each request in the window last touched the server: its admission, then its reply (the later bound). */
  private admitted: { at: number; token: string }[] = [];
  private queue: Promise<void> = Promise.resolve();
  /** Per token (DigitalOcean counts per token): what its replies said and its requests in flight. */
  private readonly budgets = new Map<string, Budget>();
  private blockedUntil = 0;
  /** Resolved (and replaced) whenever a reply comes in: what a request waiting for one listens to. */
  private replied = settable();

  constructor(private readonly options: PacerOptions) {}

  /**
   * Waits for this request's turn; call the returned function once its reply (or failure) is in. An abort of
   * `signal` rejects at once, whether the request is still queued or in its own pacing wait, and it is never admitted.
   */
  async acquire(signal?: AbortSignal, token = DEFAULT_TOKEN_KEY): Promise<() => void> {
    const turn = this.queue.then(() => {
      signal?.throwIfAborted();
      return this.admit(signal, token);
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

  private budget(token: string): Budget {
    let budget = this.budgets.get(token);
    if (!budget)
      this.budgets.set(token, (budget = { known: undefined, inFlight: 0, probeGapMs: 0, probeNotBefore: 0 }));
    return budget;
  }

  private release(entry: { at: number; token: string }): void {
    this.budget(entry.token).inFlight -= 1;
    this.replied.resolve();
    this.replied = settable();
    // The server counted the request somewhere between admission and reply: counting it from the reply keeps
    // this budget's window from freeing a slot before the server's does.
    entry.at = this.options.now();
  }

  /**
   * The hourly quota of a token as this client knows it now, with its reserve; undefined before any reply said.
   * Without a token: the one of the tokens in use with the least headroom.
   */
  quota(token?: string): QuotaState | undefined {
    const states = [...this.budgets]
      .filter(([key]) => token === undefined || key === token)
      .flatMap(([, { known, inFlight, probeNotBefore }]) =>
        known
          ? [{ ...known, reserve: reserveCount(known.limit, this.options.reserveFraction), inFlight, probeNotBefore }]
          : [],
      );
    const headroom = (q: QuotaState): number => q.remaining - q.inFlight - q.reserve;
    return states.reduce<QuotaState | undefined>((a, b) => (a && headroom(a) <= headroom(b) ? a : b), undefined);
  }

  /**
   * Headers of a reply. A burst 429 reports `remaining: 0` although the hourly quota is left, so its count is not
   * taken as the hourly state; neither is a 429 without retry-after (the spec declares it nowhere) while the quota
   * last read was well above one burst. Replies arrive out of order: within one reset the lowest count wins.
   * Returns whether the reply says the hourly quota is spent (else a 429 was a burst refusal).
   */
  observe(rateLimit: RateLimit | undefined, signal: QuotaSignal, token = DEFAULT_TOKEN_KEY): 'hourly' | 'burst' {
    if (!rateLimit || signal === 'burst-refusal') return 'burst';
    const budget = this.budget(token);
    const known = budget.known;
    if (signal === 'refusal' && known && known.remaining > this.options.requestsPerMinute + budget.inFlight) {
      return 'burst';
    }
    const resetAt = Math.min(rateLimit.resetAt, this.options.now() + LONGEST_RESET_MS);
    const latest = { ...rateLimit, resetAt };
    if (!known || resetAt > known.resetAt) budget.known = latest;
    else if (resetAt === known.resetAt && latest.remaining < known.remaining) budget.known = latest;
    this.spaceProbes(budget, latest);
    return 'hourly';
  }

  /** Below the reserve, each reply that finds it so doubles the gap before the next probe; above it, none. */
  private spaceProbes(budget: Budget, latest: RateLimit): void {
    if (latest.remaining >= reserveCount(latest.limit, this.options.reserveFraction)) {
      budget.probeGapMs = 0;
      budget.probeNotBefore = 0;
      return;
    }
    budget.probeGapMs = Math.min(this.options.maxProbeGapMs ?? DEFAULT_MAX_PROBE_GAP_MS, 2 * budget.probeGapMs || 1000);
    budget.probeNotBefore = this.options.now() + budget.probeGapMs;
  }

  /** After a 429: hold every request, not just the refused one, until the time the headers named. */
  holdUntil(epochMs: number): void {
    this.blockedUntil = Math.max(this.blockedUntil, epochMs);
  }

  private async admit(signal: AbortSignal | undefined, token: string): Promise<{ at: number; token: string }> {
    for (;;) {
      const wait = this.nextWait(this.options.now(), token);
      if (wait.kind === 'reply') {
        // not a timed wait: the injected sleep may not pass real time, and only a reply can tell more
        await untilAborted(this.replied.promise, signal);
        continue;
      }
      if (wait.waitMs <= 0) break;
      const ms = Math.min(wait.waitMs, this.options.maxWaitMs);
      this.options.onThrottle?.(ms, wait.reason);
      await this.options.sleep(ms, signal);
      signal?.throwIfAborted();
      // The reserve's waits are decided again (a reply may have said more meanwhile, and a long one comes in
      // steps); a 429's hold or the minute's budget is over once waited for, and a hold longer than the cap is not
      // believed past it.
      if (wait.kind !== 'reserve') {
        if (ms < wait.waitMs) this.blockedUntil = 0;
        break;
      }
    }
    const entry = { at: this.options.now(), token };
    this.admitted.push(entry);
    this.budget(token).inFlight += 1;
    return entry;
  }

  private nextWait(now: number, token: string): Wait {
    this.admitted = this.admitted.filter((e) => e.at > now - this.options.windowMs);
    const waits: Wait[] = [
      { waitMs: this.blockedUntil - now, reason: 'rate limited (429): waiting as DigitalOcean asked', kind: 'hold' },
    ];
    if (this.admitted.length >= this.options.requestsPerMinute) {
      const times = this.admitted.map((e) => e.at).sort((a, b) => a - b);
      const oldest = times[times.length - this.options.requestsPerMinute] ?? now;
      waits.push({
        waitMs: oldest + this.options.windowMs - now,
        reason: `client budget of ${this.options.requestsPerMinute} requests a minute reached`,
        kind: 'burst',
      });
    }
    const quota = this.quota(token);
    const decision = reserveDecision(quota, now, this.budget(token).inFlight);
    if (decision.kind !== 'send') {
      const reason = quota
        ? `hourly API quota down to the reserve (${quota.remaining} of ${quota.limit} left, ${quota.reserve} kept ` +
          'for other tools): waiting for the window to free'
        : 'waiting for the first reply to tell the hourly API quota';
      if (decision.kind === 'wait-reply') return { waitMs: 0, reason, kind: 'reply' };
      waits.push({ waitMs: Math.max(1, decision.untilMs - now), reason, kind: 'reserve' });
    }
    const longest = waits.reduce((a, b) => (b.waitMs > a.waitMs ? b : a));
    return { ...longest, waitMs: Math.ceil(longest.waitMs) };
  }
}

/**
 * A queued request's turn, or the abort's reason as soon as the signal aborts. A turn admitted in the same instant
 * its waiter gave up goes to `abandoned`, so the slot is not held in flight forever.
 */
function raceAbort<Entry>(
  turn: Promise<Entry>,
  signal: AbortSignal,
  abandoned: (entry: Entry) => void,
): Promise<Entry> {
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
