import { afterEach, describe, expect, it } from 'vitest';
import { arcadia, invariantViolations, readSagas, sandbox, type Sandbox } from './harness.js';
import { VOL_A, VOL_B, VOLUME_SIMULATOR } from './volume-fixtures.js';

const HOUR = 3_600_000;

let box: Sandbox | undefined;
afterEach(async () => {
  await box?.cleanup();
  box = undefined;
});

function liveVolumeSnapshots(b: Sandbox) {
  return b.sim.state().volumeSnapshots.filter((s) => s.deletedAt === null);
}

describe('snapshot --with-volumes', () => {
  it('snapshots every attached volume once, with deterministic names, recorded in the saga', async () => {
    box = await sandbox(VOLUME_SIMULATOR);
    const run = await arcadia(['snapshot', '1001', '--with-volumes', '--json'], box.env);
    expect(run.code, run.stderr).toBe(0);
    const [saga] = readSagas(box.home);
    const prefix = (saga?.id ?? '').replace(/-/g, '').slice(0, 8);
    expect(saga?.stepNames).toEqual(['create_droplet_snapshot', 'create_volume_snapshots']);
    const live = liveVolumeSnapshots(box);
    expect(live.map((s) => [s.volumeId, s.name])).toEqual([
      [VOL_A, `arcadia-vsnap-1001-${prefix}-aaaaaaaa`],
      [VOL_B, `arcadia-vsnap-1001-${prefix}-bbbbbbbb`],
    ]);
    expect(saga?.context.volume_snapshots).toEqual({ [VOL_A]: live[0]?.id, [VOL_B]: live[1]?.id });
    expect(invariantViolations(box.home, box.sim)).toEqual([]);
  });

  it('with --power-off, snapshots the volumes while the droplet is off, before power_on', async () => {
    box = await sandbox(VOLUME_SIMULATOR);
    const run = await arcadia(['snapshot', '1001', '--with-volumes', '--power-off'], box.env);
    expect(run.code, run.stderr).toBe(0);
    const posts = box.sim.state().requests.filter((r) => r.method === 'POST');
    const kinds = posts.map((r) => (r.path.startsWith('/v2/volumes') ? 'volume' : JSON.stringify(r.body)));
    const volumeAt = kinds.indexOf('volume');
    expect(kinds.findIndex((k) => k.includes('power_on'))).toBeGreaterThan(kinds.lastIndexOf('volume'));
    expect(kinds.slice(0, volumeAt).some((k) => k.includes('shutdown') || k.includes('power_off'))).toBe(true);
    expect(readSagas(box.home)[0]?.stepNames).toEqual([
      'power_off_droplet',
      'create_droplet_snapshot',
      'create_volume_snapshots',
      'power_on_droplet',
    ]);
  });

  it('a lost reply to every POST still makes one snapshot per volume (adopted by name, 409 included)', async () => {
    box = await sandbox({ ...VOLUME_SIMULATOR, faults: { dropPostReplyRate: 1 } });
    const run = await arcadia(['snapshot', '1001', '--with-volumes', '--copy-to', 'ams3'], box.env);
    expect(run.code, run.stderr).toBe(0);
    expect(box.sim.state().volumeSnapshots).toHaveLength(2);
    expect(box.sim.state().imageActions).toHaveLength(1);
    expect(invariantViolations(box.home, box.sim)).toEqual([]);
  });

  it('a rollback deletes the volume snapshots it made', async () => {
    box = await sandbox(VOLUME_SIMULATOR);
    const steps = ['--step', 'create_droplet_snapshot', '--step', 'create_volume_snapshots', '--step', 'fail'];
    const run = await arcadia(
      ['saga', 'start', '--kind', 'test', ...steps, '--input', 'droplet_provider_id=1001'],
      box.env,
    );
    expect(run.code, run.stderr).toBe(1);
    expect(box.sim.state().volumeSnapshots).toHaveLength(2);
    expect(liveVolumeSnapshots(box)).toEqual([]);
    expect(invariantViolations(box.home, box.sim)).toEqual([]);
  });

  it('refuses a volume at its 25-snapshot limit before the POST, and rolls the droplet snapshot back', async () => {
    const full = Array.from({ length: 25 }, (_, i) => ({
      name: `manual-${i}`,
      createdAt: new Date(Date.now() - (i + 1) * HOUR).toISOString(),
    }));
    const droplets = [{ id: 1001, volumes: [{ id: VOL_A, snapshots: full }] }];
    box = await sandbox({ ...VOLUME_SIMULATOR, droplets });
    const run = await arcadia(['snapshot', '1001', '--with-volumes', '--json'], box.env);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(`volume ${VOL_A} already has 25 snapshots, DigitalOcean's limit is 25`);
    expect(box.sim.state().requests.filter((r) => r.method === 'POST' && r.path.startsWith('/v2/volumes'))).toEqual([]);
    expect(box.sim.state().snapshots.filter((s) => s.deletedAt === null && s.name.startsWith('arcadia-'))).toEqual([]);
    expect(liveVolumeSnapshots(box)).toHaveLength(25);
    expect(invariantViolations(box.home, box.sim)).toEqual([]);
  });

  it('refuses a volume snapshotted less than 10 minutes ago', async () => {
    const recent = [{ name: 'manual', createdAt: new Date(Date.now() - 60_000).toISOString() }];
    box = await sandbox({ ...VOLUME_SIMULATOR, droplets: [{ id: 1001, volumes: [{ id: VOL_A, snapshots: recent }] }] });
    const run = await arcadia(['snapshot', '1001', '--with-volumes', '--json'], box.env);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('allows one snapshot per volume every 10 minutes');
    expect(box.sim.state().requests.filter((r) => r.method === 'POST' && r.path.startsWith('/v2/volumes'))).toEqual([]);
  });

  it('retention covers the volume snapshots: only arcadia own ones of that volume, never the new one', async () => {
    const at = (h: number): string => new Date(Date.now() - h * HOUR).toISOString();
    const older = [
      { name: 'arcadia-vsnap-1001-0000aaaa-aaaaaaaa', createdAt: at(30) },
      { name: 'arcadia-vsnap-1001-0000bbbb-aaaaaaaa', createdAt: at(20) },
      { name: 'arcadia-vsnap-1002-0000cccc-aaaaaaaa', createdAt: at(10) },
      { name: 'hand-made', createdAt: at(5) },
    ];
    box = await sandbox({ ...VOLUME_SIMULATOR, droplets: [{ id: 1001, volumes: [{ id: VOL_A, snapshots: older }] }] });
    const run = await arcadia(['snapshot', '1001', '--with-volumes', '--keep-last', '2'], box.env);
    expect(run.code, run.stderr).toBe(0);
    const names = liveVolumeSnapshots(box).map((s) => s.name);
    expect(names).not.toContain('arcadia-vsnap-1001-0000aaaa-aaaaaaaa');
    expect(names).toContain('arcadia-vsnap-1001-0000bbbb-aaaaaaaa');
    expect(names).toContain('arcadia-vsnap-1002-0000cccc-aaaaaaaa');
    expect(names).toContain('hand-made');
    expect(names).toHaveLength(4);
  });

  it('--dry-run lists the volume snapshots to keep and delete, with reasons, and deletes nothing', async () => {
    const at = (h: number): string => new Date(Date.now() - h * HOUR).toISOString();
    const older = [
      { name: 'arcadia-vsnap-1001-0000aaaa-aaaaaaaa', createdAt: at(30) },
      { name: 'arcadia-vsnap-1001-0000bbbb-aaaaaaaa', createdAt: at(20) },
      { name: 'hand-made', createdAt: at(5) },
    ];
    box = await sandbox({ ...VOLUME_SIMULATOR, droplets: [{ id: 1001, volumes: [{ id: VOL_A, snapshots: older }] }] });
    const before = liveVolumeSnapshots(box).length;
    const args = ['snapshot', '1001', '--with-volumes', '--keep-last', '2', '--dry-run'];
    const run = await arcadia([...args, '--json'], box.env);
    expect(run.code, run.stderr).toBe(0);
    const [preview] = JSON.parse(run.stdout) as {
      snapshots: { volumeId?: string; name: string | null; action: string; reasons: string[] }[];
    }[];
    const ofVolume = (preview?.snapshots ?? []).filter((s) => s.volumeId === VOL_A);
    expect(ofVolume.map((s) => [s.name, s.action])).toEqual([
      [null, 'keep'],
      ['arcadia-vsnap-1001-0000bbbb-aaaaaaaa', 'keep'],
      ['arcadia-vsnap-1001-0000aaaa-aaaaaaaa', 'delete'],
    ]);
    expect(ofVolume[1]?.reasons).toEqual(['last 2']);
    const table = await arcadia(args, box.env);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toMatch(/1001\s+volume aaaaaaaa\s+\S+\s+arcadia-vsnap-1001-0000aaaa-aaaaaaaa\s+\S+\s+delete/);
    expect(liveVolumeSnapshots(box)).toHaveLength(before);
  });
});

describe('snapshot --copy-to', () => {
  it('transfers the snapshot to each region once and waits: its regions list them', async () => {
    box = await sandbox(VOLUME_SIMULATOR);
    const run = await arcadia(
      ['snapshot', '1002', '--copy-to', 'ams3', '--copy-to', 'sfo3', '--copy-to', 'ams3'],
      box.env,
    );
    expect(run.code, run.stderr).toBe(0);
    const [saga] = readSagas(box.home);
    const id = String(saga?.context.snapshot_id);
    expect(box.sim.state().snapshotRegions[id]).toEqual(['nyc3', 'ams3', 'sfo3']);
    expect(box.sim.state().imageActions.map((a) => [a.region, a.status])).toEqual([
      ['ams3', 'completed'],
      ['sfo3', 'completed'],
    ]);
    expect(saga?.context.copied_regions).toEqual(['ams3', 'sfo3']);
    expect(invariantViolations(box.home, box.sim)).toEqual([]);
  });

  it('refuses an unknown region with exit 2 before any saga', async () => {
    box = await sandbox(VOLUME_SIMULATOR);
    const run = await arcadia(['snapshot', '1002', '--copy-to', 'mars1'], box.env);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('"mars1" is not a region slug');
    expect(box.sim.state().requests).toEqual([]);
  });
});

describe('reconcile and copies', () => {
  it('reports a succeeded saga whose snapshot lacks its --copy-to regions (exit 5), not a copied one', async () => {
    box = await sandbox(VOLUME_SIMULATOR);
    expect((await arcadia(['snapshot', '1002', '--copy-to', 'ams3'], box.env)).code).toBe(0);
    const clean = await arcadia(['reconcile', '--json'], box.env);
    expect(clean.code, clean.stderr).toBe(0);
    expect(JSON.parse(clean.stdout)).toMatchObject({ leaks: [], missingCopies: [] });

    // a saga that recorded copy_to but never copied (no copy step): as an older arcadia's would be
    const inputs = ['--input', 'droplet_provider_id=1001', '--input', 'copy_to=ams3,lon1'];
    const uncopied = await arcadia(
      ['saga', 'start', '--kind', 'test', '--step', 'create_droplet_snapshot', ...inputs],
      box.env,
    );
    expect(uncopied.code, uncopied.stderr).toBe(0);
    const report = await arcadia(['reconcile', '--json'], box.env);
    expect(report.code).toBe(5);
    const saga = readSagas(box.home).find((s) => s.kind === 'test');
    expect(JSON.parse(report.stdout)).toMatchObject({
      leaks: [],
      missingCopies: [
        {
          id: saga?.context.snapshot_id,
          dropletId: 1001,
          sagaId: saga?.id,
          missingRegions: ['ams3', 'lon1'],
          regions: ['nyc3'],
        },
      ],
    });
    const human = await arcadia(['reconcile'], box.env);
    expect(human.code).toBe(5);
    expect(human.stdout).toContain('ams3 lon1');
  });
});
