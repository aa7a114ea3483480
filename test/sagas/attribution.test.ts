import { describe, expect, it } from 'vitest';
import type { Action, DropletSnapshot, Snapshot } from '../../src/digitalocean/types.js';
import {
  adoptedMadeSuspect,
  chooseOwnAction,
  ranDuring,
  snapshotsNamed,
  snapshotsNamedGlobally,
  suspectSnapshot,
} from '../../src/sagas/snapshot/attribution.js';

/** A whole second, as DigitalOcean stamps them. */
const T = Date.parse('2026-11-26T03:00:10Z');
const iso = (ms: number): string => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000', '');
const OURS = 'arcadia-snap-1001-0123abcd';

function action(
  id: number,
  startedAt: number,
  options: Partial<Pick<Action, 'status' | 'type'>> & { completedAt?: number } = {},
): Action {
  const status = options.status ?? (options.completedAt === undefined ? 'in-progress' : 'completed');
  return {
    id,
    status,
    type: options.type ?? 'snapshot',
    started_at: iso(startedAt),
    completed_at: options.completedAt === undefined ? null : iso(options.completedAt),
    resource_id: 1001,
    resource_type: 'droplet',
    region_slug: 'nyc3',
  };
}

function snapshot(
  id: number,
  name: string,
  createdAt: number,
  type: DropletSnapshot['type'] = 'snapshot',
): DropletSnapshot {
  return { id, name, created_at: iso(createdAt), regions: ['nyc3'], min_disk_size: 25, size_gigabytes: 1.5, type };
}

const none = new Set<string>();

describe('ranDuring: whole-second stamps', () => {
  it('counts the whole completion second, and no further', () => {
    const done = action(1, T, { completedAt: T + 2000 });
    expect(ranDuring(done, T)).toBe(true);
    expect(ranDuring(done, T + 2999)).toBe(true);
    expect(ranDuring(done, T + 3000)).toBe(false);
    expect(ranDuring(done, T - 1)).toBe(false);
  });

  it('runs on for an action still in progress; never for one with no start stamp', () => {
    expect(ranDuring(action(1, T), T + 3_600_000)).toBe(true);
    expect(ranDuring({ ...action(1, T), started_at: '' }, T)).toBe(false);
  });
});

describe('chooseOwnAction: which listed action is our lost request', () => {
  it('takes the earliest snapshot action stamped at or after the posting second', () => {
    const history = [action(3, T + 4000), action(2, T), action(1, T - 60_000, { completedAt: T - 50_000 })];
    expect(chooseOwnAction(history, T + 400, [])?.id).toBe(2);
  });

  it(
    'clock tolerance: one stamped a few seconds before is ours only when nothing after exists, and not 6 s ' + 'before',
    () => {
      expect(chooseOwnAction([action(1, T - 3000)], T, [])?.id).toBe(1);
      expect(chooseOwnAction([action(1, T - 3000), action(2, T + 1000)], T, [])?.id).toBe(2);
      expect(chooseOwnAction([action(1, T - 1000), action(4, T - 3000)], T, [])?.id).toBe(1); // the nearest before
      expect(chooseOwnAction([action(1, T - 6000)], T, [])).toBeUndefined();
    },
  );

  it('ignores errored actions (they made nothing), other action types, and foreign ids', () => {
    const history = [
      action(1, T, { status: 'errored', completedAt: T }),
      action(2, T + 1000, { type: 'shutdown' }),
      action(3, T + 2000),
      action(4, T + 3000),
    ];
    expect(chooseOwnAction(history, T, [])?.id).toBe(3);
    expect(chooseOwnAction(history, T, [3])?.id).toBe(4);
    expect(chooseOwnAction(history, T, [3, 4])).toBeUndefined();
  });

  it('takes an action of unknown status as possibly ours: it may still make our snapshot', () => {
    expect(chooseOwnAction([action(5, T, { status: 'pending' as Action['status'] })], T, [])?.id).toBe(5);
  });
});

describe('the name match', () => {
  it('is exact, snapshots only, ids as strings', () => {
    const listing = [
      snapshot(1, OURS, T),
      snapshot(2, OURS, T, 'backup'),
      snapshot(3, `${OURS}-label`, T),
      snapshot(4, 'web-1-by-hand', T),
    ];
    expect(snapshotsNamed(listing, OURS)).toEqual([{ id: '1', sizeGigabytes: 1.5 }]);
  });

  it('in the global listing, only the droplet named by resource_id', () => {
    const global = (id: string, resourceId: string): Snapshot => ({
      id,
      name: OURS,
      created_at: iso(T),
      regions: ['nyc3'],
      min_disk_size: 25,
      size_gigabytes: 2,
      resource_id: resourceId,
      resource_type: 'droplet',
      tags: null,
    });
    expect(snapshotsNamedGlobally([global('7', '1001'), global('8', '1002')], OURS, 1001)).toEqual([
      { id: '7', sizeGigabytes: 2 },
    ]);
  });
});

describe("lookAround: whether an adopted action provably made someone else's snapshot", () => {
  it('suspects only a snapshot of another name created while the adopted action ran', () => {
    const adopted = action(2, T, { completedAt: T + 1000 });
    const listing = [snapshot(9, 'before', T - 5000), snapshot(8, OURS, T), snapshot(7, 'nightly', T, 'backup')];
    expect(suspectSnapshot(listing, OURS, adopted, none)).toBeUndefined();
    expect(suspectSnapshot([...listing, snapshot(6, 'web-1-by-hand', T + 1000)], OURS, adopted, none)?.id).toBe(6);
  });

  it('chaos finding: two snapshot actions blurred into one second are never judged foreign', () => {
    // Theirs and ours (reply lost), moments apart: the same start and completion second. Our snapshot is not listed
    // yet; theirs is. Whichever action was adopted, the other could have made it: nothing is proven.
    const theirs = action(1, T, { completedAt: T });
    const ours = action(2, T, { completedAt: T });
    const byHand = snapshot(5, 'web-1-by-hand', T);
    const history = [ours, theirs];
    expect([1, 2]).toContain(chooseOwnAction(history, T + 300, [])?.id); // the stamps cannot tell which
    for (const adopted of [theirs, ours]) {
      expect(suspectSnapshot([byHand], OURS, adopted, none)).toBe(byHand);
      expect(adoptedMadeSuspect(history, adopted, byHand)).toBe(false);
    }
    // Once found blurred, that snapshot is not asked about again.
    expect(suspectSnapshot([byHand], OURS, ours, new Set(['5']))).toBeUndefined();
  });

  it("chaos finding: a 422 just before ours; someone else's snapshot, begun the second before, is not ours", () => {
    // Theirs started a second before our POST, which was refused (422). Judged by the refused request's time, theirs
    // would pass for ours: that is why a refused request is forgotten (test/sagas/progress.test.ts).
    const theirs = action(1, T - 1000, { completedAt: T + 2000 });
    expect(chooseOwnAction([theirs], T + 100, [])?.id).toBe(1);
    // We waited for the droplet, posted again at T + 3.5 s, and that reply was lost: ours, stamped at or after the
    // new posting second, comes first.
    const ours = action(2, T + 3500);
    expect(chooseOwnAction([ours, theirs], T + 3500, [])?.id).toBe(2);
    // Had the retried POST started nothing, clock tolerance takes theirs, and the listing proves it someone else's.
    expect(chooseOwnAction([theirs], T + 3500, [])?.id).toBe(1);
    const byHand = snapshot(5, 'web-1-by-hand', T - 1000);
    expect(suspectSnapshot([byHand], OURS, theirs, none)).toBe(byHand);
    expect(adoptedMadeSuspect([theirs], theirs, byHand)).toBe(true);
    expect(chooseOwnAction([theirs], T + 3500, [1])).toBeUndefined();
  });

  it(
    "chaos finding: a 502 on our POST (it started nothing), then someone else's snapshot: adopted, then set " + 'aside',
    () => {
      const theirs = action(1, T + 1000, { completedAt: T + 2000 });
      expect(chooseOwnAction([theirs], T + 200, [])?.id).toBe(1); // the outcome of our POST is unknown: it looks ours
      const listing = [snapshot(5, 'web-1-by-hand', T + 1000)];
      const suspect = suspectSnapshot(listing, OURS, theirs, none);
      expect(suspect?.name).toBe('web-1-by-hand');
      expect(suspect && adoptedMadeSuspect([theirs], theirs, suspect)).toBe(true);
      expect(chooseOwnAction([theirs], T + 200, [1])).toBeUndefined(); // set aside: our POST is made again
    },
  );

  it('a rival that errored made nothing, so it does not blur; a rival of unknown status does', () => {
    const adopted = action(1, T, { completedAt: T + 1000 });
    const suspect = snapshot(5, 'web-1-by-hand', T);
    expect(adoptedMadeSuspect([adopted, action(2, T, { status: 'errored', completedAt: T })], adopted, suspect)).toBe(
      true,
    );
    expect(adoptedMadeSuspect([adopted, action(2, T, { type: 'power_off', completedAt: T })], adopted, suspect)).toBe(
      true,
    );
    expect(
      adoptedMadeSuspect([adopted, action(2, T, { status: 'pending' as Action['status'] })], adopted, suspect),
    ).toBe(false);
  });
});
