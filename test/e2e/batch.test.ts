import { afterEach, describe, expect, it } from 'vitest';
import { FAST_SIMULATOR, arcadia, invariantViolations, readSagas, sandbox, start, type Sandbox } from './harness.js';

let box: Sandbox | undefined;
afterEach(async () => {
  await box?.cleanup();
  box = undefined;
});

interface Entry {
  dropletId: number;
  sagaId: string | null;
  status: string;
  snapshotId: string | null;
  snapshotName: string | null;
  error: string | null;
}

function liveArcadiaSnapshots(b: Sandbox): Map<number, string[]> {
  const byDroplet = new Map<number, string[]>();
  for (const s of b.sim.state().snapshots) {
    if (s.deletedAt !== null || !s.name.startsWith('arcadia-snap-')) continue;
    byDroplet.set(s.dropletId, [...(byDroplet.get(s.dropletId) ?? []), s.name]);
  }
  return byDroplet;
}

describe('fleet snapshots', () => {
  it(
    'two batches over one tag started 1 s apart: no droplet snapshotted twice, the second reports skips and ' +
      'exits 0',
    async () => {
      box = await sandbox({
        ...FAST_SIMULATOR,
        droplets: [],
        fleet: { count: 8, tag: 'web', firstId: 5000 },
        actionDurationMs: { snapshot: 1200 },
      });
      const first = start(['snapshot', '--tag', 'web', '--concurrency', '3', '--json'], box.env);
      await new Promise((r) => setTimeout(r, 1000));
      const second = await arcadia(['snapshot', '--tag', 'web', '--concurrency', '3', '--json'], box.env);
      const firstDone = await first.done;
      expect(firstDone.code, firstDone.stderr).toBe(0);
      expect(second.code, second.stderr).toBe(0);
      const skipped = (JSON.parse(second.stdout) as Entry[]).filter((e) => e.status === 'skipped');
      expect(skipped.length).toBe(8);
      expect(skipped[0]?.error).toMatch(/already snapshotting/);
      const live = liveArcadiaSnapshots(box);
      expect(live.size).toBe(8);
      for (const names of live.values()) expect(names).toHaveLength(1);
      expect(invariantViolations(box.home, box.sim)).toEqual([]);
    },
  );

  it(
    'retention deletes only arcadia snapshots of the droplet, exactly down to --keep, and --dry-run changes ' +
      'nothing',
    async () => {
      const day = (n: number): string => `2026-11-${String(n).padStart(2, '0')}T03:00:00Z`;
      box = await sandbox({
        ...FAST_SIMULATOR,
        droplets: [
          {
            id: 1001,
            name: 'web-1',
            tags: ['web'],
            snapshots: [
              { name: 'arcadia-snap-1001-aaaaaaa1', createdAt: day(1) },
              { name: 'arcadia-snap-1001-aaaaaaa2-nightly', createdAt: day(2) },
              { name: 'arcadia-snap-1001-aaaaaaa3', createdAt: day(3) },
              { name: 'arcadia-snap-1001-aaaaaaa4', createdAt: day(4) },
              { name: 'web-1-manual-before-upgrade', createdAt: day(1) },
              { name: 'arcadia-snap-1001', createdAt: day(1) },
            ],
            backups: [{ name: 'web-1 weekly', createdAt: day(1) }],
          },
          { id: 1002, name: 'web-2', snapshots: [{ name: 'arcadia-snap-1002-aaaaaaa1', createdAt: day(1) }] },
        ],
      });
      const before = box.sim.state().snapshots.length;
      const dry = await arcadia(['snapshot', '1001', '--keep', '2', '--dry-run', '--json'], box.env);
      expect(dry.code, dry.stderr).toBe(0);
      const preview = JSON.parse(dry.stdout) as { dropletId: number; wouldDelete: { name: string }[] }[];
      expect(preview[0]?.wouldDelete.map((d) => d.name)).toEqual([
        'arcadia-snap-1001-aaaaaaa3',
        'arcadia-snap-1001-aaaaaaa2-nightly',
        'arcadia-snap-1001-aaaaaaa1',
      ]);
      expect(box.sim.state().snapshots).toHaveLength(before);
      expect(readSagas(box.home)).toHaveLength(0);

      const run = await arcadia(['snapshot', '1001', '--keep', '2', '--json'], box.env);
      expect(run.code, run.stderr).toBe(0);
      const state = box.sim.state();
      const deleted = state.snapshots
        .filter((s) => s.deletedAt !== null)
        .map((s) => s.name)
        .sort();
      expect(deleted).toEqual([
        'arcadia-snap-1001-aaaaaaa1',
        'arcadia-snap-1001-aaaaaaa2-nightly',
        'arcadia-snap-1001-aaaaaaa3',
      ]);
      const kept = state.snapshots.filter((s) => s.deletedAt === null && s.dropletId === 1001).map((s) => s.name);
      expect(kept).toContain('arcadia-snap-1001-aaaaaaa4');
      expect(kept).toContain('web-1-manual-before-upgrade');
      expect(kept).toContain('arcadia-snap-1001');
      expect(kept.filter((n) => /^arcadia-snap-1001-[0-9a-f]{8}/.test(n))).toHaveLength(2);
      expect(state.backups.every((b) => b.deletedAt === null)).toBe(true);
      const [saga] = readSagas(box.home);
      expect((saga?.context.pruned_snapshot_ids as string[]).length).toBe(3);
      expect(invariantViolations(box.home, box.sim)).toEqual([]);
    },
  );

  it(
    'a batch killed mid-way and run again: every droplet ends with exactly one new snapshot, and reconcile ' +
      'finds no leaks',
    async () => {
      box = await sandbox({
        ...FAST_SIMULATOR,
        droplets: [],
        fleet: { count: 8, tag: 'web', firstId: 7000 },
        actionDurationMs: { snapshot: 600 },
      });
      const first = start(['snapshot', '--tag', 'web', '--concurrency', '3'], box.env);
      await new Promise((r) => setTimeout(r, 900));
      first.child.kill('SIGKILL');
      await first.done;
      const again = await arcadia(['snapshot', '--tag', 'web', '--concurrency', '3', '--json'], box.env);
      expect(again.code, again.stderr).toBe(0);
      const live = liveArcadiaSnapshots(box);
      expect(live.size).toBe(8);
      for (const names of live.values()) expect(names).toHaveLength(1);
      expect(invariantViolations(box.home, box.sim)).toEqual([]);
      const reconcile = await arcadia(['reconcile', '--tag', 'web', '--json'], box.env);
      expect(reconcile.code, reconcile.stderr).toBe(0);
      expect((JSON.parse(reconcile.stdout) as { leaks: unknown[] }).leaks).toEqual([]);
    },
  );

  it('reconcile lists a leak with its monthly cost and --delete removes only it, as a saga', async () => {
    box = await sandbox({
      ...FAST_SIMULATOR,
      droplets: [
        {
          id: 1001,
          name: 'web-1',
          snapshots: [
            { name: 'arcadia-snap-1001-deadbeef', sizeGigabytes: 10 },
            { name: 'not-ours', sizeGigabytes: 10 },
          ],
        },
      ],
    });
    expect((await arcadia(['snapshot', '1001'], box.env)).code).toBe(0);
    const listed = await arcadia(['reconcile', '--json'], box.env);
    expect(listed.code).toBe(5);
    const report = JSON.parse(listed.stdout) as { leaks: { name: string; monthlyCostUsd: number }[] };
    expect(report.leaks.map((l) => l.name)).toEqual(['arcadia-snap-1001-deadbeef']);
    expect(report.leaks[0]?.monthlyCostUsd).toBeCloseTo(0.6);
    const deleted = await arcadia(['reconcile', '--delete', '--json'], box.env);
    expect(deleted.code, deleted.stderr).toBe(0);
    const state = box.sim.state();
    expect(state.snapshots.filter((s) => s.deletedAt !== null).map((s) => s.name)).toEqual([
      'arcadia-snap-1001-deadbeef',
    ]);
    expect(readSagas(box.home).some((s) => s.kind === 'reconcile' && s.status === 'succeeded')).toBe(true);
  });
});
