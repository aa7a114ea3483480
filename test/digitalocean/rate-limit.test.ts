import { afterEach, describe, expect, it, vi } from 'vitest';
import { parseRateLimit, RequestPacer } from '../../src/digitalocean/rate-limit.js';
import { clientFor, simulator, START, virtualClock } from './helpers.js';

function pacer(options: Partial<ConstructorParameters<typeof RequestPacer>[0]> = {}) {
  const clock = virtualClock();
  const throttles: [number, string][] = [];
  const instance = new RequestPacer({
    requestsPerMinute: 3,
    windowMs: 60_000,
    reserveFraction: 0,
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

  it('keeps the reserve: stops when one more request would spend into it, and waits for the reset', async () => {
    const { clock, pacer: p, throttles } = pacer({ requestsPerMinute: 1000, reserveFraction: 0.2 });
    // limit 10: a reserve of 2; 4 left, so 2 may go
    p.observe({ limit: 10, remaining: 4, resetAt: START + 40_000 }, 'reply');
    const sent: number[] = [];
    for (let i = 0; i < 3; i += 1) {
      const release = await p.acquire();
      sent.push(clock.now() - START);
      p.observe({ limit: 10, remaining: 3 - i, resetAt: START + 40_000 }, 'reply');
      release();
    }
    expect(sent).toEqual([0, 0, 40_000]);
    expect(throttles).toEqual([[40_000, expect.stringContaining('2 kept for other tools')]]);
  });

  it('counts requests in flight as spent, and past the reset lets one probe go until its reply says more', async () => {
    const { clock, pacer: p, throttles } = pacer({ requestsPerMinute: 1000, reserveFraction: 0.1 });
    p.observe({ limit: 10, remaining: 3, resetAt: START + 30_000 }, 'reply');
    const first = await p.acquire();
    const second = await p.acquire(); // 3 left, 1 kept: one in flight leaves room for this one only
    expect(clock.now()).toBe(START);
    const third = p.acquire();
    await new Promise((resolve) => setImmediate(resolve));
    expect(throttles[0]).toEqual([30_000, expect.stringContaining('3 of 10 left')]);
    await third; // past the reset: at least one expired, but two are still in flight
    expect(clock.now()).toBe(START + 30_000);
    first();
    second();
  });

  it('past the reset, at the reserve, nothing in flight: one probe goes, the next waits for its reply', async () => {
    const { clock, pacer: p } = pacer({ requestsPerMinute: 1000, reserveFraction: 0.5 });
    p.observe({ limit: 10, remaining: 5, resetAt: START + 1000 }, 'reply');
    const probe = await p.acquire();
    expect(clock.now()).toBe(START + 1000);
    let admitted = false;
    const next = p.acquire().then((release) => ((admitted = true), release));
    for (let i = 0; i < 5; i += 1) await new Promise((resolve) => setImmediate(resolve));
    expect(admitted).toBe(false);
    expect(clock.now()).toBe(START + 1000); // waiting for the reply, not for a time
    // the probe's reply: one expired and the probe counted, the new oldest a second later
    const resetAt = clock.now() + 1000;
    p.observe({ limit: 10, remaining: 5, resetAt }, 'reply');
    probe();
    (await next)();
    expect(clock.now()).toBe(resetAt);
  });

  it('below the reserve (another tool spent it), spaces its probes out, doubling up to the cap', async () => {
    const { clock, pacer: p } = pacer({ requestsPerMinute: 1000, reserveFraction: 0.2, maxProbeGapMs: 4000 });
    const sent: number[] = [];
    for (let i = 0; i < 5; i += 1) {
      const release = await p.acquire();
      sent.push(clock.now() - START);
      // each reply: still 1 of 10 left, the next oldest expiring 100 ms later
      p.observe({ limit: 10, remaining: 1, resetAt: clock.now() + 100 }, 'reply');
      release();
    }
    expect(sent).toEqual([0, 1000, 3000, 7000, 11_000]);
    p.observe({ limit: 10, remaining: 5, resetAt: clock.now() + 200 }, 'reply'); // the other tool let go
    (await p.acquire())();
    expect(clock.now() - START).toBe(11_000);
  });

  it('keeps the lowest count of one reset (replies come out of order) and believes no reset past an hour', () => {
    const { pacer: p } = pacer();
    p.observe({ limit: 5000, remaining: 100, resetAt: START + 10_000 }, 'reply');
    p.observe({ limit: 5000, remaining: 104, resetAt: START + 10_000 }, 'reply');
    expect(p.quota()).toMatchObject({ remaining: 100 });
    p.observe({ limit: 5000, remaining: 90, resetAt: START + 5_000 }, 'reply'); // an older reply, still lower
    expect(p.quota()).toMatchObject({ remaining: 100 });
    p.observe({ limit: 5000, remaining: 180, resetAt: START + 20_000 }, 'reply'); // requests expired since
    expect(p.quota()).toMatchObject({ remaining: 180, reserve: 0 });
    p.observe({ limit: 5000, remaining: 1, resetAt: START + 48 * 3_600_000 }, 'reply');
    expect(p.quota()?.resetAt).toBe(START + 3_601_000);
  });

  it('a 429 says the hourly quota is spent only with no retry-after and the count already low', () => {
    const { pacer: p } = pacer({ requestsPerMinute: 250 });
    const refusal = { limit: 5000, remaining: 0, resetAt: START + 3_000_000 };
    p.observe({ limit: 5000, remaining: 4000, resetAt: START + 3_000_000 }, 'reply');
    expect(p.observe(refusal, 'burst-refusal')).toBe('burst');
    expect(p.observe(refusal, 'refusal')).toBe('burst');
    expect(p.quota()).toMatchObject({ remaining: 4000 });
    p.observe({ limit: 5000, remaining: 200, resetAt: START + 3_000_000 }, 'reply');
    expect(p.observe(refusal, 'refusal')).toBe('hourly');
    expect(p.quota()).toMatchObject({ remaining: 0 });
  });

  it('keeps one budget per token: a read token at its reserve does not hold the provisioning token', async () => {
    const { clock, pacer: p } = pacer({ requestsPerMinute: 1000, reserveFraction: 0.2 });
    p.observe({ limit: 10, remaining: 2, resetAt: START + 60_000 }, 'reply', 'read');
    p.observe({ limit: 10, remaining: 9, resetAt: START + 60_000 }, 'reply', 'provisioning');
    (await p.acquire(undefined, 'provisioning'))();
    expect(clock.now()).toBe(START);
    expect(p.quota()).toMatchObject({ remaining: 2 }); // the tighter of the two
    (await p.acquire(undefined, 'read'))();
    expect(clock.now()).toBe(START + 60_000);
  });

  it('ignores the remaining 0 of a per-minute 429, and holds everyone after a 429', async () => {
    const { clock, pacer: p, throttles } = pacer({ requestsPerMinute: 1000 });
    p.observe({ limit: 5000, remaining: 0, resetAt: START + 3_000_000 }, 'burst-refusal');
    (await p.acquire())();
    expect(throttles).toEqual([]);
    p.holdUntil(START + 29_000);
    // (before any hourly count is known, one request at a time: each is released as its reply would be)
    const both = await Promise.all([p.acquire().then((release) => release()), p.acquire().then((r) => r())]);
    expect(both).toHaveLength(2);
    expect(clock.now()).toBe(START + 29_000);
    expect(throttles).toEqual([[29_000, expect.stringContaining('429')]]);
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

  it('waits for the hourly window to free instead of spending the 20% reserve, and never meets a 429', async () => {
    const clock = virtualClock();
    const sim = await simulator({ clock: clock.now, rateLimitPerMinute: null, rateLimitPerHour: 20 });
    const client = clientFor(sim, { now: clock.now, sleep: clock.sleep, requestsPerMinute: 100 });
    for (let i = 0; i < 25; i += 1) {
      await client.getAccount();
      clock.advance(1000);
    }
    const { quota, counters } = sim.state();
    expect(counters.rateLimited).toBe(0);
    expect(quota.uses).toHaveLength(25);
    expect(Math.min(...quota.uses.map((u) => u.remaining))).toBe(4); // 20% of 20 kept
    expect(client.quota()).toMatchObject({ limit: 20, reserve: 4 });
    // the 17th request had to wait for the first to expire, an hour after it was made
    expect(quota.uses[16]?.atMs).toBe(START + 3_600_000);
  });

  it('many requests at once against a scaled hour: the reserve holds and no 429 comes', async () => {
    // real time, an "hour" of 1.5 s: the client waits for resets given in epoch seconds, as DigitalOcean's are
    const sim = await simulator({ rateLimitPerMinute: null, rateLimitPerHour: 30, hourlyWindowMs: 1500 });
    const client = clientFor(sim, { rateReserve: 0.3, sleep: undefined });
    await Promise.all(Array.from({ length: 40 }, () => client.getAccount()));
    const { quota, counters } = sim.state();
    expect(counters.rateLimited).toBe(0);
    expect(quota.uses).toHaveLength(40);
    expect(Math.min(...quota.uses.map((u) => u.remaining))).toBeGreaterThanOrEqual(9);
  });
});
