import { describe, expect, it } from 'vitest';
import type { Action } from '../../src/digitalocean/types.js';
import type { Clock } from '../../src/engine/clock.js';
import type { SnapshotApi } from '../../src/sagas/snapshot/api.js';
import { ActionTimeoutError, expectedDuration, waitForAction } from '../../src/sagas/snapshot/wait.js';

/** Virtual time: sleeping moves the clock, nothing really waits. */
function fakeClock(start = Date.parse('2026-11-26T03:00:00Z')): Clock & { sleeps: number[] } {
  let now = start;
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => now,
    sleep: async (ms) => {
      sleeps.push(ms);
      now += ms;
    },
  };
}

/** An action that reports `runningStatus` (as DigitalOcean might send a status it does not document) until done. */
function actionApi(
  clock: Clock,
  startedAt: number,
  durationMs: number,
  runningStatus = 'in-progress',
): { api: SnapshotApi; polls: () => number } {
  let polls = 0;
  const view = (): Action => {
    const done = clock.now() >= startedAt + durationMs;
    return {
      id: 7,
      status: done ? 'completed' : (runningStatus as Action['status']),
      type: 'snapshot',
      started_at: new Date(startedAt).toISOString(),
      completed_at: done ? new Date(startedAt + durationMs).toISOString() : null,
      resource_id: 1,
      resource_type: 'droplet',
      region_slug: 'nyc3',
    };
  };
  const api = {
    getAction: async () => {
      polls++;
      return view();
    },
  } as unknown as SnapshotApi;
  return { api, polls: () => polls };
}

const ctx = (clock: Clock) => ({ clock, sleep: (ms: number) => clock.sleep(ms), progress: () => {} });
const TWO_MINUTES = 120_000;

describe('waitForAction', () => {
  it(
    'with history, sleeps through most of the expected time and notices ' + 'completion within one poll interval',
    async () => {
      const clock = fakeClock();
      const start = clock.now();
      const { api, polls } = actionApi(clock, start, TWO_MINUTES);
      const first = await api.getAction(7);
      const done = await waitForAction(
        api,
        ctx(clock),
        first,
        { pollIntervalMs: 5000, actionTimeoutMs: 1_800_000 },
        TWO_MINUTES,
      );
      expect(done.status).toBe('completed');
      expect(polls() - 1).toBeLessThanOrEqual(4);
      expect(clock.now() - (start + TWO_MINUTES)).toBeLessThanOrEqual(5000);
    },
  );

  it('without history, spaces polls out: fewer than a fixed 5 s poll, completion still noticed promptly', async () => {
    const clock = fakeClock();
    const start = clock.now();
    const { api, polls } = actionApi(clock, start, TWO_MINUTES);
    const done = await waitForAction(api, ctx(clock), await api.getAction(7), {
      pollIntervalMs: 5000,
      actionTimeoutMs: 1_800_000,
    });
    expect(done.status).toBe('completed');
    expect(polls() - 1).toBeLessThanOrEqual(18); // a fixed 5 s poll spends 24
    expect(clock.now() - (start + TWO_MINUTES)).toBeLessThanOrEqual(TWO_MINUTES / 8 + 5000);
  });

  it('gives up after the action timeout', async () => {
    const clock = fakeClock();
    const { api } = actionApi(clock, clock.now(), 10 * TWO_MINUTES);
    await expect(
      waitForAction(api, ctx(clock), await api.getAction(7), { pollIntervalMs: 5000, actionTimeoutMs: 60_000 }),
    ).rejects.toBeInstanceOf(ActionTimeoutError);
  });

  it(
    'an unknown status (pending, or anything new) keeps it waiting: only ' + 'completed and errored end the wait',
    async () => {
      const clock = fakeClock();
      const start = clock.now();
      const { api, polls } = actionApi(clock, start, TWO_MINUTES, 'pending');
      const first = await api.getAction(7);
      expect(first.status).toBe('pending');
      const done = await waitForAction(api, ctx(clock), first, { pollIntervalMs: 5000, actionTimeoutMs: 1_800_000 });
      expect(done.status).toBe('completed');
      expect(clock.now()).toBeGreaterThanOrEqual(start + TWO_MINUTES);
      expect(polls()).toBeGreaterThan(1);
    },
  );

  it('an action stuck in an unknown status times out like one stuck in progress, naming the status', async () => {
    const clock = fakeClock();
    const { api } = actionApi(clock, clock.now(), 10 * TWO_MINUTES, 'queued-for-later');
    const wait = waitForAction(api, ctx(clock), await api.getAction(7), {
      pollIntervalMs: 5000,
      actionTimeoutMs: 60_000,
    });
    await expect(wait).rejects.toBeInstanceOf(ActionTimeoutError);
    await expect(wait).rejects.toThrow(/"queued-for-later"/);
  });

  it('expects the median of the recent durations', () => {
    expect(expectedDuration([])).toBeUndefined();
    expect(expectedDuration([100_000, 500_000, 120_000])).toBe(120_000);
  });
});
