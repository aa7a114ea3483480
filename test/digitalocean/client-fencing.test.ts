import { describe, expect, it } from 'vitest';
import type { RequestGuard, RequestKind } from '../../src/digitalocean/client.js';
import { RequestPacer } from '../../src/digitalocean/rate-limit.js';
import { clientFor, failure, requestsTo, simulator } from './helpers.js';

class Superseded extends Error {}

/** A guard whose lease the test takes away; it records what each check was asked about. */
function testGuard(): RequestGuard & { checks: RequestKind[]; supersede(): void; abort(reason: Error): void } {
  const controller = new AbortController();
  let superseded = false;
  const checks: RequestKind[] = [];
  return {
    signal: controller.signal,
    holder: { sagaId: 'aaaaaaaa-0000-4000-8000-000000000001', epoch: 7 },
    checks,
    beforeRequest(kind) {
      checks.push(kind);
      if (superseded) throw new Superseded(`superseded before a ${kind}`);
    },
    supersede: () => (superseded = true),
    abort: (reason) => controller.abort(reason),
  };
}

const body = { type: 'snapshot', name: 'arcadia-snap-3164444-aaaaaaaa' } as const;

describe('client fencing (a guard from the caller)', () => {
  it('checks the guard before every attempt, telling reads from writes, and names the holder', async () => {
    const sim = await simulator();
    const guard = testGuard();
    const client = clientFor(sim).withGuard(guard);
    await client.getDroplet(3164444);
    await client.postDropletAction(3164444, body);
    expect(guard.checks).toEqual(['read', 'write']);
    const headers = sim.state().requests.map((r) => [r.headers['x-arcadia-saga'], r.headers['x-arcadia-epoch']]);
    expect(headers).toEqual([
      ['aaaaaaaa-0000-4000-8000-000000000001', '7'],
      ['aaaaaaaa-0000-4000-8000-000000000001', '7'],
    ]);
  });

  it('checks again after the pacer wait: a POST whose lease went during the wait never leaves', async () => {
    const sim = await simulator();
    const guard = testGuard();
    // The POST waits its turn in the pacer (a budget of 1 request a window); the lease goes while it waits.
    const sleep = async (ms: number): Promise<void> => {
      guard.supersede();
      await new Promise((resolve) => setTimeout(resolve, Math.min(ms, 5)));
    };
    const client = clientFor(sim, { requestsPerMinute: 1, rateWindowMs: 60_000, sleep }).withGuard(guard);
    await client.getDroplet(3164444);
    const error = await failure(client.postDropletAction(3164444, body));
    expect(error).toBeInstanceOf(Superseded);
    expect(requestsTo(sim, 'POST', '/v2/droplets')).toHaveLength(0);
    expect(sim.state().actions).toHaveLength(0);
  });

  it('does not write a request whose check expired before its connection opened; the next check stops it', async () => {
    const sim = await simulator();
    const guard = testGuard();
    // As after a pause between the check and the connection, long enough for a takeover: the first window is gone
    // by the time the connection is ready, and the lease with it.
    let windows = 0;
    const pausedGuard: RequestGuard = {
      ...guard,
      sendWindowMs() {
        windows += 1;
        if (windows > 1) return 60_000;
        guard.supersede();
        return 0;
      },
    };
    const client = clientFor(sim).withGuard(pausedGuard);
    const error = await failure(client.postDropletAction(3164444, body));
    expect(error).toBeInstanceOf(Superseded);
    expect(guard.checks).toEqual(['write', 'write']);
    expect(sim.state().requests).toHaveLength(0);
    expect(sim.state().actions).toHaveLength(0);
  });

  it('checks again and sends when the lease held after all (a slow connection, no takeover)', async () => {
    const sim = await simulator();
    const guard = testGuard();
    let windows = 0;
    const client = clientFor(sim).withGuard({ ...guard, sendWindowMs: () => (++windows === 1 ? 0 : 60_000) });
    await client.postDropletAction(3164444, body);
    expect(guard.checks).toEqual(['write', 'write']);
    expect(requestsTo(sim, 'POST', '/v2/droplets')).toHaveLength(1);
  });

  it('counts a request that the gate stops every time as one that got no reply, never written', async () => {
    const sim = await simulator();
    const guard = testGuard();
    const client = clientFor(sim, { retries: 0 }).withGuard({ ...guard, sendWindowMs: () => 0 });
    const error = await failure(client.getDroplet(3164444));
    expect(error.message).toMatch(/not sent: the lease check was older than 0 ms when the connection was ready/);
    expect(guard.checks).toEqual(['read', 'read', 'read']);
    expect(sim.state().requests).toHaveLength(0);
  });

  it('sends a guarded write whose lease holds, body and all', async () => {
    const sim = await simulator();
    const guard = testGuard();
    const action = await clientFor(sim).withGuard(guard).postDropletAction(3164444, body);
    expect(action.type).toBe('snapshot');
    expect(guard.checks).toEqual(['write']);
    expect(sim.state().snapshots.filter((s) => s.name === body.name)).toHaveLength(0); // still running
    expect(sim.state().actions).toHaveLength(1);
  });

  it('checks again after a retry wait: a DELETE retried after a 503 is not sent by a superseded caller', async () => {
    const sim = await simulator({ faults: { failNextRequests: { status: 503, count: 1, method: 'DELETE' } } });
    const guard = testGuard();
    const sleep = async (): Promise<void> => guard.supersede();
    const client = clientFor(sim, { sleep }).withGuard(guard);
    const error = await failure(client.deleteSnapshot('123'));
    expect(error).toBeInstanceOf(Superseded);
    expect(requestsTo(sim, 'DELETE', '/v2/snapshots')).toHaveLength(1);
  });

  it('an abort ends a pacer wait at once with its reason, and the request is never sent', async () => {
    const sim = await simulator();
    const guard = testGuard();
    const client = clientFor(sim, { requestsPerMinute: 1, rateWindowMs: 60_000, sleep: undefined }).withGuard(guard);
    await client.getDroplet(3164444);
    const started = Date.now();
    const pending = failure(client.postDropletAction(3164444, body));
    setTimeout(() => guard.abort(new Superseded('lease lost')), 50);
    const error = await pending;
    expect(error).toBeInstanceOf(Superseded);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(requestsTo(sim, 'POST', '/v2/droplets')).toHaveLength(0);
  });

  it('an abort ends a retry wait at once', async () => {
    const sim = await simulator({ faults: { failNextRequests: { status: 503, count: 1 } } });
    const guard = testGuard();
    const client = clientFor(sim, { retryBaseMs: 60_000, retryMaxMs: 60_000, sleep: undefined }).withGuard(guard);
    const started = Date.now();
    const pending = failure(client.getDroplet(3164444));
    setTimeout(() => guard.abort(new Superseded('lease lost')), 50);
    expect(await pending).toBeInstanceOf(Superseded);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(sim.state().requests).toHaveLength(1);
  });

  it('an abort ends a fetch in flight with its reason, not as a lost reply to retry or reconcile', async () => {
    const sim = await simulator({ faults: { slowNextRequests: { count: 5, ms: 15_000 } } });
    const guard = testGuard();
    const client = clientFor(sim, { timeoutMs: 30_000 }).withGuard(guard);
    const started = Date.now();
    const pending = failure(client.getDroplet(3164444));
    setTimeout(() => guard.abort(new Superseded('lease lost')), 100);
    expect(await pending).toBeInstanceOf(Superseded);
    // Well before the held reply (15 s) would have ended the request.
    expect(Date.now() - started).toBeLessThan(7_500);
  });

  it('leaves a client without a guard as it was, sharing one pacer with its guarded views', async () => {
    const sim = await simulator();
    const client = clientFor(sim);
    await client.getDroplet(3164444);
    await client.withGuard(testGuard()).getDroplet(3164444);
    expect(sim.state().requests.map((r) => r.headers['x-arcadia-epoch'])).toEqual([undefined, '7']);
  });
});

describe('the pacer under aborts', () => {
  it('a request queued behind another leaves the queue at its abort; the others keep their turns', async () => {
    let now = 0;
    const sleeps: { ms: number; wake: () => void }[] = [];
    const pacer = new RequestPacer({
      requestsPerMinute: 1,
      windowMs: 1_000,
      reserveFraction: 0,
      maxWaitMs: 10_000,
      now: () => now,
      sleep: (ms, signal) =>
        new Promise((resolve, reject) => {
          sleeps.push({ ms, wake: () => resolve() });
          signal?.addEventListener('abort', () => reject(signal.reason), { once: true });
        }),
    });
    (await pacer.acquire())();
    const second = pacer.acquire(); // waits for the window in its pacing sleep
    const controller = new AbortController();
    const third = pacer.acquire(controller.signal); // queued behind the second
    const settled = failure(third);
    controller.abort(new Superseded('lease lost'));
    expect(await settled).toBeInstanceOf(Superseded);

    await new Promise((resolve) => setImmediate(resolve));
    expect(sleeps.map((s) => s.ms)).toEqual([1_000]);
    now = 1_000;
    sleeps[0]?.wake();
    (await second)();
    // The aborted one took no slot: the next request waits for the second's window only.
    const fourth = pacer.acquire();
    await new Promise((resolve) => setImmediate(resolve));
    expect(sleeps.map((s) => s.ms)).toEqual([1_000, 1_000]);
    now = 2_000;
    sleeps[1]?.wake();
    (await fourth)();
  });
});
