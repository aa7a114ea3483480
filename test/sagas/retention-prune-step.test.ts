import { describe, expect, it } from 'vitest';
import { PRUNED_KEY, PRUNE_ERROR_KEY, createPruneStep } from '../../src/sagas/snapshot/prune-step.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { DROPLET_ID, FakeDroplet, stepContext, stepDependencies } from './fake-droplet.js';

const HOUR = 3_600_000;
const NOW = Date.UTC(2026, 10, 30, 3, 0, 0);
const NEW_NAME = `arcadia-snap-${DROPLET_ID}-0123abcd`;

/** Arcadia snapshots of the droplet `hoursAgo` before NOW, listed long since; the new one from `newListedFrom`. */
function world(hoursAgo: Record<string, number>, newListedFrom: number) {
  const clock = new FakeClock({ start: NOW });
  const droplet = new FakeDroplet(clock, { durationMs: 1000, runningStatus: 'in-progress' });
  let id = 100;
  for (const [suffix, hours] of Object.entries(hoursAgo)) {
    const createdAt = NOW - hours * HOUR;
    const name = `arcadia-snap-${DROPLET_ID}-${suffix}`;
    droplet.snapshots.push({ id: id++, name, createdAt, listedFrom: 0, deleted: false });
  }
  droplet.snapshots.push({ id: 999, name: NEW_NAME, createdAt: NOW, listedFrom: newListedFrom, deleted: false });
  const step = createPruneStep(stepDependencies(droplet));
  const run = (inputs: Record<string, string | number>, context: Record<string, string[]> = {}) =>
    step.execute(
      stepContext(clock, {
        __inputs__: { droplet_provider_id: DROPLET_ID, ...inputs },
        snapshot_id: '999',
        snapshot_name: NEW_NAME,
        ...context,
      }),
    );
  return { droplet, run };
}

// In UTC: 2026-11-29T01:00, 2026-11-28T21:00 and 2026-11-28T01:00 (ids 100, 101, 102); the new one is 11-30T03:00.
const HISTORY = { aaaaaaa1: 26, aaaaaaa2: 30, aaaaaaa3: 50 };

describe('prune_snapshots with a retention policy', () => {
  it('counts the new snapshot as the newest while the listing does not show it yet', async () => {
    const { droplet, run } = world(HISTORY, NOW + HOUR);
    const output = await run({ keep_daily: 2 });
    // 2026-11-30 (the new one) and 2026-11-29 are the two days kept.
    expect(droplet.deletes).toEqual(['101', '102']);
    expect(output).toEqual({ [PRUNED_KEY]: ['101', '102'] });
  });

  it('applies the calendar of the tz input', async () => {
    const utc = world(HISTORY, 0);
    await utc.run({ keep_daily: 3 });
    expect(utc.droplet.deletes).toEqual(['102']);
    // In Pacific/Auckland (+13) the history is on the 29th at 14:00 and 10:00, and on the 28th at 14:00.
    const auckland = world(HISTORY, 0);
    await auckland.run({ keep_daily: 3, tz: 'Pacific/Auckland' });
    expect(auckland.droplet.deletes).toEqual(['101']);
  });

  it('reads a saga of the previous version, whose only retention input is keep', async () => {
    const { droplet, run } = world(HISTORY, 0);
    await run({ keep: 2 });
    expect(droplet.deletes).toEqual(['101', '102']);
  });

  it('after a crash, skips what it already deleted and deletes only the rest', async () => {
    const { droplet, run } = world(HISTORY, 0);
    const output = await run({ keep: 1 }, { [PRUNED_KEY]: ['100'] });
    expect(droplet.deletes).toEqual(['101', '102']);
    expect(output).toEqual({ [PRUNED_KEY]: ['100', '101', '102'] });
  });

  it('reports a malformed policy instead of deleting anything', async () => {
    const { droplet, run } = world(HISTORY, 0);
    const malformed: Record<string, string | number>[] = [
      { keep_within: '7x' },
      { keep_daily: 0 },
      { keep_daily: 2, tz: 'Mars/Olympus' },
      {},
    ];
    for (const inputs of malformed) {
      const output = await run(inputs);
      expect(output[PRUNE_ERROR_KEY], JSON.stringify(inputs)).toEqual(expect.any(String));
    }
    expect(droplet.deletes).toEqual([]);
  });
});
