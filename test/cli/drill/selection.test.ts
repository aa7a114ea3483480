import { describe, expect, it } from 'vitest';
import type { SucceededDrill, SucceededSnapshot } from '../../../src/db/monitoring-facts.js';
import {
  chooseDrillTargets,
  newestRestorableSnapshot,
  type DrillHistory,
} from '../../../src/cli/commands/drill/selection.js';

function snapshot(dropletId: number, snapshotId: string | null, finishedAt: number): SucceededSnapshot {
  return { sagaId: `s${snapshotId}`, dropletId, dropletName: '', snapshotId, sizeGigabytes: 1, finishedAt };
}

function drill(dropletId: number, finishedAt: number): SucceededDrill {
  return { sagaId: `d${dropletId}-${finishedAt}`, dropletId, snapshotId: null, activeAfterMs: 1, finishedAt };
}

function history(partial: Partial<DrillHistory>): DrillHistory {
  return { succeeded: [], drills: [], deletedSnapshotIds: new Set(), ...partial };
}

/** The provider's listing, by id; the value stands for the listed snapshot object. */
function listing(...ids: string[]): Map<string, string> {
  return new Map(ids.map((id) => [id, `listed ${id}`]));
}

const droplets = [1, 2, 3, 4].map((id) => ({ id, name: `web-${id}` }));

describe('the newest restorable snapshot of a droplet', () => {
  it('is the newest succeeded saga snapshot of that droplet', () => {
    const h = history({ succeeded: [snapshot(1, '10', 100), snapshot(1, '11', 300), snapshot(2, '20', 900)] });
    expect(newestRestorableSnapshot(1, h, listing('10', '11', '20'))).toEqual({
      snapshotId: '11',
      snapshot: 'listed 11',
    });
  });

  it('skips snapshots retention deleted and those the provider no longer lists, and unrecorded ids', () => {
    const h = history({
      succeeded: [snapshot(1, '10', 100), snapshot(1, '11', 200), snapshot(1, '12', 300), snapshot(1, null, 400)],
      deletedSnapshotIds: new Set(['12']),
    });
    expect(newestRestorableSnapshot(1, h, listing('10', '12'))?.snapshotId).toBe('10');
    expect(newestRestorableSnapshot(1, h, listing())).toBeUndefined();
  });
});

describe('which droplets a drill run restores', () => {
  const allSnapshots = [snapshot(1, '10', 1), snapshot(2, '20', 1), snapshot(3, '30', 1), snapshot(4, '40', 1)];
  const listed = listing('10', '20', '30', '40');

  it('takes one by default: a never-drilled droplet before any drilled one', () => {
    const h = history({ succeeded: allSnapshots, drills: [drill(1, 500), drill(2, 100), drill(4, 300)] });
    const chosen = chooseDrillTargets(droplets, h, listed, 1);
    expect(chosen.toDrill.map((t) => [t.dropletId, t.snapshotId, t.lastDrillAt])).toEqual([[3, '30', null]]);
    expect(chosen.notSampled).toEqual([2, 4, 1]);
    expect(chosen.noSnapshot).toEqual([]);
  });

  it('then the droplets whose last successful drill is oldest, judged by their newest drill', () => {
    const h = history({
      succeeded: allSnapshots,
      drills: [drill(1, 50), drill(1, 900), drill(2, 100), drill(3, 700), drill(4, 300)],
    });
    const chosen = chooseDrillTargets(droplets, h, listed, 3);
    expect(chosen.toDrill.map((t) => [t.dropletId, t.lastDrillAt])).toEqual([
      [2, 100],
      [4, 300],
      [3, 700],
    ]);
    expect(chosen.notSampled).toEqual([1]);
  });

  it('orders ties by droplet id, and a sample larger than the set takes all', () => {
    const h = history({ succeeded: allSnapshots, drills: [drill(4, 5), drill(2, 5)] });
    expect(chooseDrillTargets(droplets, h, listed, 10).toDrill.map((t) => t.dropletId)).toEqual([1, 3, 2, 4]);
  });

  it('reports droplets without a restorable snapshot and keeps their place in the sample for the others', () => {
    const h = history({ succeeded: [snapshot(2, '20', 1), snapshot(3, '30', 1)], drills: [drill(2, 10)] });
    const chosen = chooseDrillTargets(droplets, h, listing('20'), 1);
    expect(chosen.toDrill.map((t) => t.dropletId)).toEqual([2]);
    expect(chosen.noSnapshot.map((d) => d.id)).toEqual([1, 3, 4]);
    expect(chosen.notSampled).toEqual([]);
  });

  it('a droplet drilled but with its snapshots since deleted is reported, not drilled', () => {
    const h = history({
      succeeded: [snapshot(1, '10', 1)],
      drills: [drill(1, 1)],
      deletedSnapshotIds: new Set(['10']),
    });
    const chosen = chooseDrillTargets([{ id: 1, name: 'web-1' }], h, listing('10'), 1);
    expect(chosen.toDrill).toEqual([]);
    expect(chosen.noSnapshot).toEqual([{ id: 1, name: 'web-1' }]);
  });
});
