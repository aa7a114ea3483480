import { describe, expect, it } from 'vitest';
import { NotFoundError, OutcomeUnknownError, RateLimitedError, ServerError } from '../../src/digitalocean/errors.js';
import type { RetryNotice } from '../../src/digitalocean/transport.js';
import { clientFor, failure, raw, requestsTo, simulator, virtualClock } from './helpers.js';

describe('client retries', () => {
  it('retries a 5xx GET with exponential backoff and jitter, then succeeds', async () => {
    const sim = await simulator({ faults: { failNextRequests: { status: 503, count: 3 } } });
    const clock = virtualClock();
    const client = clientFor(sim, {
      retries: 5,
      retryBaseMs: 100,
      retryMaxMs: 300,
      sleep: clock.sleep,
      random: () => 0.5,
    });
    expect(await client.getDroplet(3164444)).toMatchObject({ id: 3164444 });
    // base × 2^n capped at 300, equal jitter at random 0.5 → 3/4 of the ceiling
    expect(clock.sleeps).toEqual([75, 150, 225]);
    expect(sim.state().requests.map((r) => r.status)).toEqual([503, 503, 503, 200]);
  });

  it('gives up after `retries` retries with a transient ServerError', async () => {
    const sim = await simulator({ faults: { failNextRequests: { status: 500, count: 10 } } });
    const error = await failure(clientFor(sim, { retries: 2 }).listDroplets());
    expect(error).toBeInstanceOf(ServerError);
    expect(error).toMatchObject({ status: 500, transient: true });
    expect(sim.state().requests).toHaveLength(3);
  });

  it('does not retry 501, which is not transient', async () => {
    const sim = await simulator({ faults: { failNextRequests: { status: 501, count: 10 } } });
    const error = await failure(clientFor(sim, { retries: 5 }).getAccount());
    expect(error).toMatchObject({ status: 501, transient: false });
    expect(sim.state().requests).toHaveLength(1);
  });

  it('retries a GET that timed out', async () => {
    const sim = await simulator({ faults: { slowNextRequests: { count: 1, ms: 2000 } } });
    const notices: RetryNotice[] = [];
    const client = clientFor(sim, { timeoutMs: 150, onRetry: (n) => notices.push(n) });
    expect(await client.getDroplet(3164444)).toMatchObject({ id: 3164444 });
    expect(notices).toHaveLength(1);
    expect(notices[0]?.error.message).toContain('no reply within 150 ms');
  });

  it('429 with retry-after: the whole client holds that long, then the request succeeds', async () => {
    const clock = virtualClock();
    const sim = await simulator({ clock: clock.now, rateLimitPerMinute: 3 });
    const throttles: [number, string][] = [];
    const client = clientFor(sim, {
      now: clock.now,
      sleep: clock.sleep,
      requestsPerMinute: 1000,
      onThrottle: (ms, reason) => throttles.push([ms, reason]),
    });
    for (let i = 0; i < 3; i += 1) await client.getAccount();
    clock.advance(10_000);
    expect(await client.getDroplet(3164444)).toMatchObject({ id: 3164444 });
    expect(sim.state().requests.map((r) => r.status)).toEqual([200, 200, 200, 429, 200]);
    expect(throttles).toEqual([[50_000, expect.stringContaining('429')]]);
  });

  it('an hourly 429 (no retry-after, the quota read low): waits until ratelimit-reset, capped', async () => {
    for (const [maxRateLimitWaitMs, expected] of [
      [2 * 3_600_000, 3_000_000],
      [5000, 5000],
    ] as const) {
      const clock = virtualClock();
      const sim = await simulator({ clock: clock.now, rateLimitPerMinute: null, rateLimitPerHour: 3 });
      const notices: RetryNotice[] = [];
      const client = clientFor(sim, {
        now: clock.now,
        sleep: clock.sleep,
        rateReserve: 0,
        maxRateLimitWaitMs,
        onRetry: (n) => notices.push(n),
      });
      await client.getAccount();
      clock.advance(600_000);
      // another tool on the same token spends the rest, unknown to this client until its next reply
      await raw(sim, 'GET', '/v2/account');
      await raw(sim, 'GET', '/v2/account');
      await client.getAccount();
      // the oldest counted request (the first one) expires an hour after it was made: 50 minutes from now
      expect(notices.map((n) => n.delayMs)).toEqual([expected]);
      expect(notices[0]?.error).toBeInstanceOf(RateLimitedError);
      expect((notices[0]?.error as RateLimitedError).retryAfterMs).toBe(3_000_000); // what DigitalOcean said
    }
  });

  it('a burst 429 without retry-after (the spec declares none) backs off, not waiting for the reset', async () => {
    const clock = virtualClock();
    const sim = await simulator({ clock: clock.now });
    const notices: RetryNotice[] = [];
    const client = clientFor(sim, { now: clock.now, sleep: clock.sleep, onRetry: (n) => notices.push(n) });
    await client.getAccount(); // 4,999 of 5,000 left: a refusal now cannot be the hourly quota
    sim.configure({ faults: { failNextRequests: { status: 429, count: 1 } } });
    await client.getAccount();
    expect(notices).toHaveLength(1);
    expect(notices[0]?.delayMs).toBeLessThan(1000); // the own backoff (base 10 ms here), not the hour
    expect(sim.state().requests.map((r) => r.status)).toEqual([200, 429, 200]);
  });

  it('a 429 that is not retried still holds the other requests sharing the client', async () => {
    const clock = virtualClock();
    const sim = await simulator({ clock: clock.now, rateLimitPerMinute: 1 });
    const throttles: number[] = [];
    const client = clientFor(sim, {
      retries: 0,
      now: clock.now,
      sleep: clock.sleep,
      onThrottle: (ms) => throttles.push(ms),
    });
    await client.getAccount();
    const refused = await failure(client.getAccount());
    expect(refused).toBeInstanceOf(RateLimitedError);
    expect(refused).toMatchObject({ retryAfterMs: 60_000, transient: true });
    await client.getAccount();
    expect(throttles).toEqual([60_000]);
    expect(sim.state().requests.map((r) => r.status)).toEqual([200, 429, 200]);
  });

  it('a POST refused with 429 is retried: DigitalOcean refused it before processing', async () => {
    const clock = virtualClock();
    const sim = await simulator({
      clock: clock.now,
      faults: { failNextRequests: { status: 429, count: 1, method: 'POST', retryAfterSeconds: 2 } },
    });
    const client = clientFor(sim, { now: clock.now, sleep: clock.sleep });
    const action = await client.postDropletAction(3164444, { type: 'snapshot', name: 'after-429' });
    expect(action.status).toBe('in-progress');
    expect(requestsTo(sim, 'POST', '/v2/droplets').map((r) => r.status)).toEqual([429, 201]);
    expect(sim.state().actions).toHaveLength(1);
    expect(clock.sleeps).toEqual([2000]);
  });
});

describe('POSTs whose outcome is unknown are never re-posted', () => {
  it('a dropped reply: the action exists, the client saw OutcomeUnknownError after exactly one POST', async () => {
    const sim = await simulator({ faults: { dropNextPost: 1 } });
    const error = await failure(
      clientFor(sim, { retries: 5 }).postDropletAction(3164444, { type: 'snapshot', name: 'lost-reply' }),
    );
    expect(error).toBeInstanceOf(OutcomeUnknownError);
    expect(error).toMatchObject({ transient: true, attemptedType: 'snapshot', status: null, method: 'POST' });
    expect(error.message).toContain('reconcile before posting again');
    expect(requestsTo(sim, 'POST', '/v2/droplets')).toHaveLength(1);
    expect(sim.state().actions).toHaveLength(1);
    expect(sim.state().actions[0]).toMatchObject({ snapshotName: 'lost-reply', status: 'in-progress' });
    expect(sim.state().droplets.find((d) => d.id === 3164444)?.locked).toBe(true);
  });

  it('a 500 after the effect took place', async () => {
    const sim = await simulator({ faults: { serverErrorAfterNextPost: 1 } });
    const error = await failure(clientFor(sim, { retries: 5 }).postDropletAction(3164444, { type: 'power_off' }));
    expect(error).toBeInstanceOf(OutcomeUnknownError);
    expect(error).toMatchObject({ status: 500, attemptedType: 'power_off', providerId: 'server_error' });
    expect(requestsTo(sim, 'POST', '/v2/droplets')).toHaveLength(1);
    expect(sim.state().actions).toHaveLength(1);
  });

  it('a 5xx before any effect looks the same to the client, and is not re-posted either', async () => {
    const sim = await simulator({ faults: { failNextRequests: { status: 503, count: 1, method: 'POST' } } });
    const error = await failure(clientFor(sim, { retries: 5 }).postDropletAction(3164444, { type: 'power_off' }));
    expect(error).toBeInstanceOf(OutcomeUnknownError);
    expect(requestsTo(sim, 'POST', '/v2/droplets')).toHaveLength(1);
    expect(sim.state().actions).toHaveLength(0);
  });

  it('a POST that timed out', async () => {
    const sim = await simulator({ faults: { slowNextRequests: { count: 1, ms: 2000 } } });
    const error = await failure(
      clientFor(sim, { timeoutMs: 150 }).postDropletAction(3164444, { type: 'snapshot', name: 'slow' }),
    );
    expect(error).toBeInstanceOf(OutcomeUnknownError);
    expect(error.message).toContain('no reply within 150 ms');
    expect(sim.state().actions).toHaveLength(1);
  });

  it('a DELETE whose reply was lost is retried, and its 404 still surfaces as NotFoundError', async () => {
    const clock = virtualClock();
    const sim = await simulator({
      clock: clock.now,
      droplets: [{ id: 7, snapshots: [{ id: 901, name: 'old' }] }],
      faults: { dropNextDelete: 1 },
    });
    const error = await failure(clientFor(sim).deleteSnapshot('901'));
    expect(error).toBeInstanceOf(NotFoundError);
    expect(requestsTo(sim, 'DELETE', '/v2/snapshots/901').map((r) => r.status)).toEqual([null, 404]);
    expect(sim.state().snapshots.find((s) => s.id === 901)?.deletedAt).not.toBeNull();
  });
});
