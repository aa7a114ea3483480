import { describe, expect, it } from 'vitest';
import type { Action } from '../../src/digitalocean/types.js';
import type { Clock } from '../../src/engine/clock.js';
import { FleetWatcher } from '../../src/sagas/snapshot/fleet-watcher.js';
import { ActionTimeoutError } from '../../src/sagas/snapshot/wait.js';
import { clientFor, simulator } from '../digitalocean/helpers.js';

type Sim = Awaited<ReturnType<typeof simulator>>;

/**
 * Virtual time shared by the simulator and the watcher. A sleep first lets everything already queued run (sagas
 * registering, replies arriving), then moves the clock: nothing really waits.
 */
function sharedClock(start = Date.parse('2026-03-01T12:00:00Z')): Clock & { advance(ms: number): void } {
  let now = start;
  return {
    now: () => now,
    advance: (ms) => {
      now += ms;
    },
    sleep: async (ms) => {
      await new Promise((resolve) => setImmediate(resolve));
      now += ms;
    },
  };
}

function watcherFor(sim: Sim, clock: Clock, pollIntervalMs = 1_000): FleetWatcher {
  const api = clientFor(sim);
  return new FleetWatcher({ api: () => api, clock, schedule: { pollIntervalMs, growth: 0.12 }, lookupIntervalMs: 500 });
}

async function snapshotOf(sim: Sim, dropletId: number, name: string): Promise<Action> {
  return clientFor(sim).postDropletAction(dropletId, { type: 'snapshot', name });
}

const never = new AbortController().signal;
const quiet = (): void => undefined;

/** Requests the simulator served since `fromSeq`, by method and path (ids as N). */
function served(sim: Sim, fromSeq: number): string[] {
  return sim
    .state()
    .requests.filter((r) => r.seq > fromSeq)
    .map((r) => `${r.method} ${r.path.replace(/\d+/g, 'N')}`);
}

describe('the fleet watcher', () => {
  it("answers a fleet's actions and snapshots from shared listings: pages, not a request per saga", async () => {
    const clock = sharedClock();
    const sim = await simulator({
      clock: clock.now,
      fleet: { count: 30, tag: 'web', firstId: 1 },
      actionDurationMs: { snapshot: 60_000 },
      actionJitterMs: 5_000,
      snapshotListingLagMs: 2_000,
    });
    const actions = await Promise.all(Array.from({ length: 30 }, (_, i) => snapshotOf(sim, i + 1, `snap-${i + 1}`)));
    const fromSeq = sim.state().counters.requests;
    const watcher = watcherFor(sim, clock);
    const done = await Promise.all(
      actions.map((action) =>
        watcher.awaitAction({ action, expectedMs: 60_000, timeoutMs: 600_000, signal: never, progress: quiet }),
      ),
    );
    expect(done.every((a) => a.status === 'completed')).toBe(true);
    const statusRequests = served(sim, fromSeq);
    expect(statusRequests.every((r) => r === 'GET /vN/actions')).toBe(true);
    expect(statusRequests.length).toBeLessThanOrEqual(10); // completions spread over 5 s, a look each second

    const sightings = await Promise.all(
      done.map((_, i) => watcher.snapshotsOf({ dropletId: i + 1, notBefore: clock.now() + 2_000, signal: never })),
    );
    for (const [i, sighting] of sightings.entries()) {
      expect(sighting.source).toBe('account');
      expect(sighting.snapshots.map((s) => s.name)).toEqual([`snap-${i + 1}`]);
    }
    expect(served(sim, fromSeq).length - statusRequests.length).toBe(1); // one page of the account's snapshots
    expect(watcher.requests).toMatchObject({ accountSnapshotPasses: 1, dropletListings: 0, single: 0 });
  });

  it("asks one droplet's own listing and one action by id when that is the cheapest", async () => {
    const clock = sharedClock();
    const sim = await simulator({ clock: clock.now, droplets: [{ id: 7, snapshots: [{ name: 'old' }] }] });
    const action = await snapshotOf(sim, 7, 'mine');
    const fromSeq = sim.state().counters.requests;
    const watcher = watcherFor(sim, clock);
    const done = await watcher.awaitAction({
      action,
      expectedMs: 1_000,
      timeoutMs: 60_000,
      signal: never,
      progress: quiet,
    });
    expect(done.status).toBe('completed');
    const sighting = await watcher.snapshotsOf({ dropletId: 7, notBefore: clock.now() + 500, signal: never });
    expect(sighting.source).toBe('droplet');
    expect(sighting.snapshots.map((s) => s.name).sort()).toEqual(['mine', 'old']);
    expect(served(sim, fromSeq)).toEqual(['GET /vN/actions/N', 'GET /vN/droplets/N/snapshots']);
  });

  it(
    'asks for an action by id when the listing pages did ' + 'not show it (actions of others pushed it further)',
    async () => {
      const clock = sharedClock();
      const sim = await simulator({
        clock: clock.now,
        fleet: [
          { count: 3, tag: 'ours', firstId: 1 },
          { count: 450, tag: 'theirs', firstId: 100 },
        ],
        actionDurationMs: { snapshot: 10_000, power_off: 100_000 },
        rateLimitPerMinute: null,
      });
      const ours = await Promise.all([1, 2, 3].map((id) => snapshotOf(sim, id, `ours-${id}`)));
      const api = clientFor(sim);
      clock.advance(1_000);
      for (let id = 100; id < 550; id++) await api.postDropletAction(id, { type: 'power_off' });
      const watcher = watcherFor(sim, clock);
      const done = await Promise.all(
        ours.map((action) =>
          watcher.awaitAction({ action, expectedMs: 10_000, timeoutMs: 60_000, signal: never, progress: quiet }),
        ),
      );
      expect(done.map((a) => a.status)).toEqual(['completed', 'completed', 'completed']);
      expect(watcher.requests.actionPages).toBe(2); // 3 watched: 1 page, and one to spare
      expect(watcher.requests.single).toBe(3);
    },
  );

  it(
    'times droplets without history by the fleet: after the ' + 'first completion, the others are looked at then',
    async () => {
      const clock = sharedClock();
      const sim = await simulator({
        clock: clock.now,
        fleet: { count: 2, tag: 'web', firstId: 1 },
        actionDurationMs: { snapshot: 600_000 },
      });
      const watcher = new FleetWatcher({
        api: () => clientFor(sim),
        clock,
        schedule: { pollIntervalMs: 1_000, growth: 0.5 },
        lookupIntervalMs: 500,
      });
      const first = await snapshotOf(sim, 1, 'a');
      const firstDone = watcher.awaitAction({
        action: first,
        expectedMs: 600_000,
        timeoutMs: 3_600_000,
        signal: never,
        progress: quiet,
      });
      clock.advance(200_000);
      const second = await snapshotOf(sim, 2, 'b');
      const seen: number[] = [];
      const secondDone = watcher.awaitAction({
        action: second,
        expectedMs: undefined,
        timeoutMs: 3_600_000,
        signal: never,
        progress: () => seen.push(clock.now()),
      });
      await firstDone;
      await secondDone;
      const secondEnd = Date.parse(second.started_at ?? '') + 600_000;
      // growth 0.5 alone would look at 200 s, 300 s, 450 s, 675 s of its run: 75 s late; the fleet's 600 s is exact
      expect(seen[seen.length - 1]).toBeLessThanOrEqual(secondEnd + 1_000);
    },
  );

  it('gives up on an action past the timeout, and lets an aborted saga go without touching the others', async () => {
    const clock = sharedClock();
    const sim = await simulator({ clock: clock.now, fleet: { count: 2, tag: 'web', firstId: 1 } });
    sim.configure({ actionDurationMs: { snapshot: 1_000_000 } });
    const [slow, other] = await Promise.all([snapshotOf(sim, 1, 'slow'), snapshotOf(sim, 2, 'other')]);
    const watcher = watcherFor(sim, clock);
    const cancel = new AbortController();
    const cancelled = watcher.awaitAction({
      action: other,
      expectedMs: undefined,
      timeoutMs: 1e9,
      signal: cancel.signal,
      progress: quiet,
    });
    const timedOut = watcher.awaitAction({
      action: slow,
      expectedMs: undefined,
      timeoutMs: 60_000,
      signal: never,
      progress: quiet,
    });
    cancel.abort(new Error('saga cancelled'));
    await expect(cancelled).rejects.toThrow('saga cancelled');
    await expect(timedOut).rejects.toBeInstanceOf(ActionTimeoutError);
  });
});
