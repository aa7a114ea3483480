import { afterEach, describe, expect, it } from 'vitest';
import type { SimulatorConfigInput } from '../../src/simulator/index.js';
import { FAST_SIMULATOR, arcadia, invariantViolations, readSagas, sandbox, type Sandbox } from './harness.js';

let box: Sandbox | undefined;
afterEach(async () => {
  await box?.cleanup();
  box = undefined;
});

interface PreviewSnapshot {
  id: string | null;
  name: string | null;
  createdAt: string;
  action: 'keep' | 'delete';
  reasons: string[];
}

interface Preview {
  dropletId: number;
  snapshots: PreviewSnapshot[];
  wouldDelete: { id: string | null; name: string | null }[];
}

// 2025 history, long before any run of this test: this run's snapshot gets buckets of its own, whatever today is.
// In Asia/Tokyo (+09:00) s6 is on 2025-06-01 and s1 on 2025-03-02.
const HISTORY = [
  { name: 'arcadia-snap-1001-aaaaaaa1', createdAt: '2025-03-01T20:00:00Z' },
  { name: 'arcadia-snap-1001-aaaaaaa2', createdAt: '2025-03-02T08:00:00Z' },
  { name: 'arcadia-snap-1001-aaaaaaa3-nightly', createdAt: '2025-03-09T08:00:00Z' },
  { name: 'arcadia-snap-1001-aaaaaaa4', createdAt: '2025-04-15T08:00:00Z' },
  { name: 'arcadia-snap-1001-aaaaaaa5', createdAt: '2025-05-31T10:00:00Z' },
  { name: 'arcadia-snap-1001-aaaaaaa6', createdAt: '2025-05-31T20:00:00Z' },
  { name: 'web-1-manual-before-upgrade', createdAt: '2025-01-01T00:00:00Z' },
  { name: 'arcadia-snap-1001', createdAt: '2025-01-01T00:00:00Z' },
];
const LONG_AGO = '2025-01-01T00:00:00Z';
const POLICY = ['--keep-daily', '2', '--keep-monthly', '3', '--tz', 'Asia/Tokyo'];

function retentionBox(): Promise<Sandbox> {
  return sandbox(retentionConfig());
}

function retentionConfig(): SimulatorConfigInput {
  return {
    ...FAST_SIMULATOR,
    droplets: [
      { id: 1001, name: 'web-1', snapshots: HISTORY, backups: [{ name: 'web-1 weekly', createdAt: LONG_AGO }] },
      { id: 1002, name: 'web-2', snapshots: [{ name: 'arcadia-snap-1002-aaaaaaa1', createdAt: LONG_AGO }] },
    ],
  };
}

describe('restic-style retention against the simulator', () => {
  it('--dry-run lists each arcadia snapshot, keep or delete and why, in --json and the table', async () => {
    box = await retentionBox();
    const before = box.sim.state().snapshots.length;
    const dry = await arcadia(['snapshot', '1001', ...POLICY, '--dry-run', '--json'], box.env);
    expect(dry.code, dry.stderr).toBe(0);
    const [preview] = JSON.parse(dry.stdout) as Preview[];
    expect(preview?.dropletId).toBe(1001);
    const [upcoming, ...listed] = preview?.snapshots ?? [];
    expect(upcoming).toMatchObject({ id: null, name: null, action: 'keep' });
    const upcomingReasons = [
      expect.stringMatching(/^daily \d{4}-\d\d-\d\d$/),
      expect.stringMatching(/^monthly \d{4}-\d\d$/),
    ];
    expect(upcoming?.reasons).toEqual(upcomingReasons);
    expect(listed.map((s) => [s.name, s.action, s.reasons])).toEqual([
      ['arcadia-snap-1001-aaaaaaa6', 'keep', ['daily 2025-06-01', 'monthly 2025-06']],
      ['arcadia-snap-1001-aaaaaaa5', 'keep', ['monthly 2025-05']],
      ['arcadia-snap-1001-aaaaaaa4', 'delete', []],
      ['arcadia-snap-1001-aaaaaaa3-nightly', 'delete', []],
      ['arcadia-snap-1001-aaaaaaa2', 'delete', []],
      ['arcadia-snap-1001-aaaaaaa1', 'delete', []],
    ]);
    expect(preview?.wouldDelete.map((d) => d.name)).toEqual([
      'arcadia-snap-1001-aaaaaaa4',
      'arcadia-snap-1001-aaaaaaa3-nightly',
      'arcadia-snap-1001-aaaaaaa2',
      'arcadia-snap-1001-aaaaaaa1',
    ]);

    const table = await arcadia(['snapshot', '1001', ...POLICY, '--dry-run'], box.env);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toMatch(/DROPLET\s+OF\s+SNAPSHOT\s+NAME\s+CREATED\s+ACTION\s+REASON/);
    const keptRow = /arcadia-snap-1001-aaaaaaa6\s+2025-05-31T20:00:00Z\s+keep\s+daily 2025-06-01, monthly 2025-06/;
    expect(table.stdout).toMatch(keptRow);
    expect(table.stdout).toMatch(/arcadia-snap-1001-aaaaaaa1\s+2025-03-01T20:00:00Z\s+delete/);
    expect(table.stdout).toContain('--keep-daily 2 --keep-monthly 3 --tz Asia/Tokyo would delete 4 snapshot(s)');
    expect(table.stdout).not.toContain('web-1-manual-before-upgrade');

    expect(box.sim.state().snapshots).toHaveLength(before);
    expect(box.sim.state().snapshots.every((s) => s.deletedAt === null)).toBe(true);
    expect(readSagas(box.home)).toHaveLength(0);
  });

  it('a real run deletes what the dry run named: only arcadia snapshots of the droplet', async () => {
    box = await retentionBox();
    const dry = await arcadia(['snapshot', '1001', ...POLICY, '--dry-run', '--json'], box.env);
    const predicted = (JSON.parse(dry.stdout) as Preview[])[0]?.wouldDelete.map((d) => d.name).sort();

    const run = await arcadia(['snapshot', '1001', ...POLICY, '--json'], box.env);
    expect(run.code, run.stderr).toBe(0);
    const state = box.sim.state();
    const deleted = state.snapshots
      .filter((s) => s.deletedAt !== null)
      .map((s) => s.name)
      .sort();
    expect(deleted).toEqual(predicted);
    const [saga] = readSagas(box.home);
    expect(saga?.stepNames.at(-1)).toBe('prune_snapshots');
    const inputs = { droplet_provider_id: 1001, keep_daily: 2, keep_monthly: 3, tz: 'Asia/Tokyo' };
    expect(saga?.context.__inputs__).toMatchObject(inputs);
    const kept = state.snapshots.filter((s) => s.deletedAt === null && s.dropletId === 1001).map((s) => s.name);
    const survivors = ['arcadia-snap-1001-aaaaaaa6', 'arcadia-snap-1001-aaaaaaa5', 'web-1-manual-before-upgrade'];
    expect(kept).toEqual(expect.arrayContaining(survivors));
    expect(kept).toContain(saga?.context.snapshot_name);
    expect(state.snapshots.filter((s) => s.dropletId === 1002).every((s) => s.deletedAt === null)).toBe(true);
    expect(state.backups.every((b) => b.deletedAt === null)).toBe(true);
    expect(invariantViolations(box.home, box.sim)).toEqual([]);
  });

  it('deletes nothing when the snapshot fails: the saga rolls back before retention', async () => {
    box = await sandbox({ ...retentionConfig(), faults: { errorNextActions: 1 } });
    const run = await arcadia(['snapshot', '1001', '--keep-last', '1', '--json'], box.env);
    expect(run.code, run.stderr).toBe(1);
    expect(box.sim.state().snapshots.every((s) => s.deletedAt === null)).toBe(true);
    const [saga] = readSagas(box.home);
    expect(saga?.status).toBe('rolled_back');
    expect(saga?.steps.find((step) => step.name === 'prune_snapshots')?.status).toBe('pending');
    expect(invariantViolations(box.home, box.sim)).toEqual([]);
  });

  it('a saga of the previous version (input keep only) still prunes as --keep-last', async () => {
    box = await retentionBox();
    const inputs = ['--input', 'droplet_provider_id=1001', '--input', 'keep=2'];
    const steps = ['--step', 'create_droplet_snapshot', '--step', 'prune_snapshots'];
    const run = await arcadia(['saga', 'start', '--kind', 'snapshot', ...steps, ...inputs, '--json'], box.env);
    expect(run.code, run.stderr).toBe(0);
    const ours = /^arcadia-snap-1001-[0-9a-f]{8}/;
    const live = box.sim.state().snapshots.filter((s) => s.deletedAt === null && ours.test(s.name));
    const [saga] = readSagas(box.home);
    expect(live.map((s) => s.name).sort()).toEqual([saga?.context.snapshot_name, 'arcadia-snap-1001-aaaaaaa6'].sort());
  });

  it.each([
    ['an unknown --tz', ['--keep-daily', '7', '--tz', 'Mars/Olympus'], /--tz "Mars\/Olympus"/],
    ['a malformed --keep-within', ['--keep-within', '7x'], /--keep-within "7x"/],
    ['--keep with --keep-last', ['--keep', '3', '--keep-last', '3'], /--keep .*--keep-last/],
    ['--tz alone', ['--tz', 'UTC'], /--tz .*--keep-/],
    ['--keep-daily 0', ['--keep-daily', '0'], /--keep-daily/],
  ])('refuses %s with exit 2, one line, before any saga', async (_name, flags, message) => {
    box = await retentionBox();
    const result = await arcadia(['snapshot', '1001', ...flags], box.env);
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(message);
    expect(readSagas(box.home)).toHaveLength(0);
    expect(box.sim.state().snapshots.every((s) => s.deletedAt === null)).toBe(true);
  });
});
