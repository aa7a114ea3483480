import { afterEach, describe, expect, it, vi } from 'vitest';
import { parseRateLimit, RequestPacer } from '../../src/digitalocean/rate-limit.js';
import { clientFor, simulator, START, virtualClock } from './helpers.js';

function pacer(options: Partial<ConstructorParameters<typeof RequestPacer>[0]> = {}) {
  const clock = virtualClock();
  const throttles: [number, string][] = [];
  const instance = new RequestPacer({
    requestsPerMinute: 3,
    windowMs: 60_000,
    lowRemaining: 0,
    maxWaitMs: 3_600_000,
    now: clock.now,
    // yield before moving time, so whoever was just admitted sees the instant it was admitted at
    sleep: async (ms) => {
      await new Promise((resolve) => setImmediate(resolve));
      await clock.sleep(ms);
    },
    onThrottle: (ms, reason) => throttles.push([ms, reason]),
    ...options,
  });
  return { clock, throttles, pacer: instance };
}

/** The most admissions in any window of 60 s. */
function busiestMinute(times: number[]): number {
  return Math.max(...times.map((t) => times.filter((u) => u >= t && u < t + 60_000).length));
}

describe('parseRateLimit', () => {
  it('reads the three headers case-insensitively, reset in epoch seconds', () => {
    const headers = new Headers({
      'RateLimit-Limit': '5000',
      'ratelimit-remaining': '4816',
      'rateLimit-reset': '1444931833',
    });
    expect(parseRateLimit(headers)).toEqual({ limit: 5000, remaining: 4816, resetAt: 1_444_931_833_000 });
    expect(parseRateLimit(new Headers({ 'ratelimit-limit': '5000' }))).toBeUndefined();
  });
});

describe('RequestPacer', () => {
  it('never admits more than requestsPerMinute in any 60 s, however many ask at once', async () => {
    const { clock, pacer: p, throttles } = pacer({ requestsPerMinute: 3 });
    const admitted: number[] = [];
    await Promise.all(
      Array.from({ length: 10 }, async () => {
        const release = await p.acquire();
        admitted.push(clock.now());
        release();
      }),
    );
    expect(admitted).toHaveLength(10);
    expect(busiestMinute(admitted)).toBe(3);
    expect(admitted.map((t) => t - START)).toEqual([
      0, 0, 0, 60_000, 60_000, 60_000, 120_000, 120_000, 120_000, 180_000,
    ]);
    expect(throttles[0]?.[1]).toContain('3 requests a minute');
  });

  it('spreads the last hourly requests until the reset instead of spending them at once', async () => {
    const { clock, pacer: p } = pacer({ requestsPerMinute: 1000, lowRemaining: 10 });
    const admitted: number[] = [];
    let remaining = 4;
    p.observe({ limit: 5000, remaining, resetAt: START + 40_000 }, false);
    for (let i = 0; i < 3; i += 1) {
      const release = await p.acquire();
      admitted.push(clock.now() - START);
      remaining -= 1; // each reply's headers count the request
      p.observe({ limit: 5000, remaining, resetAt: START + 40_000 }, false);
      release();
    }
    // the first at once, then the 3 left spread evenly over the 40 s
    expect(admitted[0]).toBe(0);
    expect(admitted[1]).toBeCloseTo(13_333, -1);
    expect(admitted[2]).toBeCloseTo(26_667, -1);
  });

  it('counts requests still in flight against the remaining quota', async () => {
    const { pacer: p, throttles } = pacer({ requestsPerMinute: 1000, lowRemaining: 10 });
    p.observe({ limit: 5000, remaining: 2, resetAt: START + 30_000 }, false);
    await p.acquire();
    await p.acquire(); // one unanswered: 1 left, so it waits the whole way (not half, as 2 left would)
    expect(throttles).toEqual([[30_000, expect.stringContaining('only 1 of 5000')]]);
  });

  it('ignores the remaining 0 of a per-minute 429, and holds everyone after a 429', async () => {
    const { clock, pacer: p, throttles } = pacer({ requestsPerMinute: 1000 });
    p.observe({ limit: 5000, remaining: 0, resetAt: START + 3_000_000 }, true);
    await p.acquire();
    expect(throttles).toEqual([]);
    p.holdUntil(START + 29_000);
    const both = await Promise.all([p.acquire(), p.acquire()]);
    expect(both).toHaveLength(2);
    expect(clock.now()).toBe(START + 29_000);
    expect(throttles).toEqual([[29_000, expect.stringContaining('429')]]);
  });

  it('spreads only in the last 5% of the hourly limit, however large the per-minute budget', async () => {
    const { pacer: p, throttles } = pacer({
      requestsPerMinute: Number.MAX_SAFE_INTEGER,
      lowRemaining: Number.MAX_SAFE_INTEGER,
    });
    p.observe({ limit: 5000, remaining: 4990, resetAt: START + 3_000_000 }, false);
    for (let i = 0; i < 5; i += 1) (await p.acquire())();
    expect(throttles).toEqual([]);
    p.observe({ limit: 5000, remaining: 250, resetAt: START + 3_000_000 }, false);
    await p.acquire();
    expect(throttles).toEqual([[12_000, expect.stringContaining('only 250 of 5000')]]);
  });

  it('caps one wait at maxWaitMs', async () => {
    const { pacer: p, throttles } = pacer({ maxWaitMs: 5000 });
    p.holdUntil(START + 3_600_000);
    await p.acquire();
    expect(throttles).toEqual([[5000, expect.any(String)]]);
  });
});

describe('client pacing against the simulator', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('concurrent requests over the budget are paced, so the simulator never says 429', async () => {
    const clock = virtualClock();
    const sim = await simulator({ clock: clock.now, rateLimitPerMinute: 5 });
    // Virtual time may only jump once every request already sent has reached the simulator, as it would in real time.
    let sent = 0;
    const realFetch = globalThis.fetch;
    vi.spyOn(globalThis, 'fetch').mockImplementation((...args) => {
      sent += 1;
      return realFetch(...args);
    });
    const caughtUp = async (): Promise<void> => {
      for (let i = 0; i < 500 && sim.state().counters.requests < sent; i += 1)
        await new Promise((r) => setTimeout(r, 2));
    };
    const throttles: number[] = [];
    const client = clientFor(sim, {
      requestsPerMinute: 5,
      now: clock.now,
      sleep: async (ms) => {
        await caughtUp();
        clock.advance(ms);
      },
      onThrottle: (ms) => throttles.push(ms),
    });
    const droplets = await Promise.all(Array.from({ length: 15 }, () => client.getDroplet(3164444)));
    expect(droplets.every((d) => d.id === 3164444)).toBe(true);
    const statuses = sim.state().requests.map((r) => r.status);
    expect(statuses).toEqual(Array.from({ length: 15 }, () => 200));
    expect(sim.state().counters.rateLimited).toBe(0);
    expect(clock.now() - START).toBe(120_000);
    expect(throttles.length).toBeGreaterThan(0);
  });

  it('spreads requests by the hourly headers so the hourly limit never refuses', async () => {
    const clock = virtualClock();
    const sim = await simulator({ clock: clock.now, rateLimitPerMinute: null, rateLimitPerHour: 20 });
    const client = clientFor(sim, {
      now: clock.now,
      sleep: clock.sleep,
      requestsPerMinute: 100,
      maxRateLimitWaitMs: 7_200_000,
    });
    for (let i = 0; i < 25; i += 1) await client.getAccount();
    expect(sim.state().counters.rateLimited).toBe(0);
    expect(sim.state().requests).toHaveLength(25);
    expect(client.rateLimit).toMatchObject({ limit: 20 });
    // the 21st request had to wait for the first to expire, an hour after it was made
    expect(clock.now() - START).toBeGreaterThanOrEqual(3_600_000);
  });
});
