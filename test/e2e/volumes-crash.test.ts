import { afterEach, describe, expect, it } from 'vitest';
import { arcadia, invariantViolations, readSagas, sandbox, type Sandbox } from './harness.js';
import { VOLUME_SIMULATOR } from './volume-fixtures.js';

let box: Sandbox | undefined;
afterEach(async () => {
  await box?.cleanup();
  box = undefined;
});

const FORWARD = ['snapshot', '1001', '--with-volumes', '--copy-to', 'ams3', '--copy-to', 'lon1'];
const INPUT = ['--input', 'droplet_provider_id=1001', '--input', 'copy_to=ams3'];
const STEPS = ['create_droplet_snapshot', 'create_volume_snapshots', 'copy_snapshot_to_regions', 'fail'];
const SMOKE = ['saga', 'start', '--kind', 'test', ...STEPS.flatMap((s) => ['--step', s]), ...INPUT];

/** Runs `args` with a failpoint armed, expects the SIGKILL, resumes everything, then checks every promise. */
async function crashAndResume(args: string[], point: string): Promise<Sandbox> {
  // transfers outlast the restart, so a resumed step meets them still running
  const b = await sandbox({ ...VOLUME_SIMULATOR, imageActionDurationMs: { transfer: 1500 } });
  box = b;
  const crashed = await arcadia(args, { ...b.env, ARCADIA_FAILPOINTS: point });
  expect(crashed.signal, `${point}: ${crashed.stderr}`).toBe('SIGKILL');
  const resumed = await arcadia(['saga', 'resume', '--all'], b.env);
  expect([0, 1], resumed.stderr).toContain(resumed.code);
  expect(invariantViolations(b.home, b.sim)).toEqual([]);
  return b;
}

function transfersPerRegion(b: Sandbox): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const a of b.sim.state().imageActions.filter((x) => x.type === 'transfer' && x.status !== 'errored')) {
    counts[String(a.region)] = (counts[String(a.region)] ?? 0) + 1;
  }
  return counts;
}

describe('crash matrix for volumes and copies: SIGKILL at a named point, then saga resume --all', () => {
  const forward: [string, string][] = [
    ['before the first volume POST', 'volume-snapshot.before-post'],
    ['right after the first volume POST, before its checkpoint', 'volume-snapshot.after-post'],
    ['after the first volume checkpoint', 'volume-snapshot.after-checkpoint'],
    ['right after the second volume POST', 'volume-snapshot.after-post@2'],
    ['before the first transfer POST', 'transfer.before-post'],
    ['right after the first transfer POST, before its checkpoint', 'transfer.after-post'],
    ['after the first transfer checkpoint', 'transfer.after-checkpoint'],
    ['right after the second transfer POST', 'transfer.after-post@2'],
    ['while polling a transfer', 'action.polled@2'],
  ];
  for (const [when, point] of forward) {
    it(`succeeds with one snapshot per volume and one transfer per region: ${when}`, async () => {
      const b = await crashAndResume(FORWARD, point);
      const [saga] = readSagas(b.home);
      expect(saga?.status).toBe('succeeded');
      const live = b.sim.state().volumeSnapshots.filter((s) => s.deletedAt === null);
      expect(live.map((s) => s.volumeId).sort()).toEqual(
        b.sim
          .state()
          .volumes.map((v) => v.id)
          .sort(),
      );
      expect(b.sim.state().volumeSnapshots).toHaveLength(2);
      expect(transfersPerRegion(b)).toEqual({ ams3: 1, lon1: 1 });
      expect(b.sim.state().snapshotRegions[String(saga?.context.snapshot_id)]).toEqual(['nyc3', 'ams3', 'lon1']);
    });
  }

  const rollback: [string, string][] = [
    ['right after a volume POST, before its checkpoint', 'volume-snapshot.after-post'],
    ['right after the transfer POST, before its checkpoint', 'transfer.after-post'],
    ['during compensation, before a volume delete', 'volume-snapshot.compensate-before-delete'],
    ['during compensation, before the second volume delete', 'volume-snapshot.compensate-before-delete@2'],
    ['during compensation, before the snapshot delete', 'snapshot.compensate-before-delete'],
  ];
  for (const [when, point] of rollback) {
    it(`rolls back leaving nothing: ${when}`, async () => {
      const b = await crashAndResume(SMOKE, point);
      expect(readSagas(b.home)[0]?.status).toBe('rolled_back');
      const state = b.sim.state();
      expect(state.volumeSnapshots.filter((s) => s.deletedAt === null)).toEqual([]);
      expect(state.snapshots.filter((s) => s.deletedAt === null && s.name.startsWith('arcadia-snap-'))).toEqual([]);
      expect(state.imageActions.filter((a) => a.status === 'in-progress')).toEqual([]);
      expect(Object.values(transfersPerRegion(b)).every((n) => n <= 1)).toBe(true);
    });
  }
});

describe('a cancel after a kill: compensation finds what was never recorded', () => {
  const points = ['volume-snapshot.after-post', 'volume-snapshot.after-post@2', 'transfer.after-post'];
  for (const point of points) {
    it(`leaves nothing after SIGKILL at ${point} and saga cancel`, async () => {
      const b = await sandbox({ ...VOLUME_SIMULATOR, imageActionDurationMs: { transfer: 1500 } });
      box = b;
      const crashed = await arcadia(FORWARD, { ...b.env, ARCADIA_FAILPOINTS: point });
      expect(crashed.signal, crashed.stderr).toBe('SIGKILL');
      const [saga] = readSagas(b.home);
      const cancelled = await arcadia(['saga', 'cancel', saga?.id ?? ''], b.env);
      expect([0, 1], cancelled.stderr).toContain(cancelled.code);
      expect(readSagas(b.home)[0]?.status).toBe('cancelled');
      const state = b.sim.state();
      expect(state.volumeSnapshots.length).toBeGreaterThan(0);
      expect(state.volumeSnapshots.filter((s) => s.deletedAt === null)).toEqual([]);
      expect(state.snapshots.filter((s) => s.deletedAt === null && s.name.startsWith('arcadia-snap-'))).toEqual([]);
      expect(state.imageActions.filter((a) => a.status === 'in-progress')).toEqual([]);
      expect(invariantViolations(b.home, b.sim)).toEqual([]);
    });
  }
});
