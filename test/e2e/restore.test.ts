import { afterEach, describe, expect, it } from 'vitest';
import { arcadia, readSagas, sandbox, type Sandbox } from './harness.js';
import {
  liveRestored,
  RESTORE,
  RESTORE_SIMULATOR,
  restoreViolations,
  SNAPSHOT_ID,
  VOLUME_SNAPSHOT_ID,
} from './restore-fixtures.js';

let box: Sandbox | undefined;
afterEach(async () => {
  await box?.cleanup();
  box = undefined;
});

describe('arcadia restore', () => {
  it('restores into the snapshot first region with the cheapest size that fits, tagged by its saga', async () => {
    box = await sandbox(RESTORE_SIMULATOR);
    const run = await arcadia([...RESTORE, '--json'], box.env);
    expect(run.code, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout) as Record<string, unknown>;
    const [saga] = readSagas(box.home);
    const [droplet] = liveRestored(box);
    expect(result).toEqual({
      sagaId: saga?.id,
      status: 'succeeded',
      snapshotId: SNAPSHOT_ID,
      dropletId: droplet?.id,
      dropletName: `arcadia-restore-${saga?.id.replace(/-/g, '').slice(0, 8)}`,
      region: 'nyc3',
      size: 's-1vcpu-2gb', // the 30 GB snapshot does not fit the 25 GB of s-1vcpu-1gb
      monthlyPriceUsd: 12,
      tags: ['restored'],
      activeAfterMs: expect.any(Number),
      error: null,
    });
    expect(droplet).toMatchObject({ region: 'nyc3', sizeSlug: 's-1vcpu-2gb', imageId: Number(SNAPSHOT_ID) });
    expect(droplet?.tags).toEqual([`arcadia-saga-${saga?.id}`, 'restored']);
    expect(saga).toMatchObject({
      kind: 'restore',
      status: 'succeeded',
      stepNames: ['create_droplet_from_snapshot', 'wait_droplet_active'],
    });
    expect(restoreViolations(box)).toEqual([]);
  });

  it('takes --name, --size, --region and --tag, and saga list and show tell a restore apart', async () => {
    box = await sandbox(RESTORE_SIMULATOR);
    const args = ['restore', SNAPSHOT_ID, '--name', 'web-1-restored', '--size', 's-2vcpu-4gb', '--region', 'ams3'];
    const run = await arcadia([...args, '--tag', 'a', '--tag', 'b'], box.env);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^restore succeeded: droplet \d+ \(web-1-restored\) from snapshot 150000900 /);
    expect(run.stdout).toContain('in ams3, s-2vcpu-4gb ($24/month), active after ');
    const [droplet] = liveRestored(box);
    expect(droplet).toMatchObject({ name: 'web-1-restored', region: 'ams3', sizeSlug: 's-2vcpu-4gb' });
    expect(droplet?.tags.slice(1)).toEqual(['a', 'b']);

    const list = await arcadia(['saga', 'list'], box.env);
    expect(list.stdout).toMatch(/KIND/);
    expect(list.stdout.split('\n')[1]).toMatch(/ restore +succeeded /);
    const [saga] = readSagas(box.home);
    const show = await arcadia(['saga', 'show', saga?.id ?? ''], box.env);
    expect(show.stdout).toContain(
      `Restore  snapshot 150000900 -> droplet ${droplet?.id} web-1-restored (ams3, s-2vcpu-4gb) active after`,
    );
    const json = JSON.parse((await arcadia(['saga', 'show', saga?.id ?? '', '--json'], box.env)).stdout) as {
      kind: string;
      context: Record<string, unknown>;
    };
    expect(json.kind).toBe('restore');
    expect(json.context).toMatchObject({ restore_droplet_id: droplet?.id, restore_tag: `arcadia-saga-${saga?.id}` });
  });

  it('--detach records the saga for saga resume and creates nothing yet', async () => {
    box = await sandbox(RESTORE_SIMULATOR);
    const run = await arcadia([...RESTORE, '--detach'], box.env);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/run it with: arcadia saga resume /);
    expect(liveRestored(box)).toEqual([]);
    expect((await arcadia(['saga', 'resume', '--all'], box.env)).code).toBe(0);
    expect(liveRestored(box)).toHaveLength(1);
  });

  const refusals: [string, string[], RegExp][] = [
    ['an unknown snapshot', ['restore', '150000999'], /no snapshot 150000999/],
    ['a volume snapshot', ['restore', VOLUME_SNAPSHOT_ID], /is a volume snapshot/],
    ['a backup id', ['restore', '150000950'], /is not a droplet snapshot/],
    [
      'a region the snapshot is not in',
      ['restore', SNAPSHOT_ID, '--region', 'sfo3'],
      /is not in sfo3; it is in nyc3, ams3/,
    ],
    ['a size too small', ['restore', SNAPSHOT_ID, '--size', 's-1vcpu-1gb'], /25 GB disk, smaller than the 30 GB/],
    ['an unknown size', ['restore', SNAPSHOT_ID, '--size', 's-64vcpu'], /not a droplet size arcadia knows/],
    ['a name DigitalOcean refuses', ['restore', SNAPSHOT_ID, '--name', 'web_1'], /not a droplet name/],
    ["arcadia's own tag", ['restore', SNAPSHOT_ID, '--tag', 'arcadia-saga-x'], /arcadia-saga-\* is arcadia's/],
    ['not a snapshot id', ['restore', 'web-1'], /is not a snapshot id/],
  ];
  for (const [what, args, message] of refusals) {
    it(`refuses ${what}: exit 2, no saga, nothing created`, async () => {
      box = await sandbox({
        ...RESTORE_SIMULATOR,
        droplets: [
          ...(RESTORE_SIMULATOR.droplets ?? []),
          { id: 1004, name: 'db', backups: [{ id: 150000950, name: 'weekly' }] },
        ],
      });
      const run = await arcadia(args, box.env);
      expect(run.code, run.stderr).toBe(2);
      expect(run.stderr).toMatch(message);
      expect(readSagas(box.home)).toEqual([]);
      const state = box.sim.state();
      expect(state.requests.filter((r) => r.method !== 'GET')).toEqual([]);
      expect(state.dropletHistory.filter((d) => d.createdBy !== null)).toEqual([]);
    });
  }

  it('a refusal in JSON mode is one error object on stdout', async () => {
    box = await sandbox(RESTORE_SIMULATOR);
    const run = await arcadia(['restore', SNAPSHOT_ID, '--region', 'sfo3', '--json'], box.env);
    expect(run.code).toBe(2);
    expect(JSON.parse(run.stdout)).toEqual({
      error: { code: 'region_not_in_snapshot', message: expect.stringContaining('is not in sfo3') },
    });
  });

  it('an errored create rolls back: exit 1, the droplet deleted, the bystanders untouched', async () => {
    box = await sandbox({ ...RESTORE_SIMULATOR, faults: { errorNextActions: 1 } });
    const run = await arcadia(RESTORE, box.env);
    expect(run.code, run.stderr).toBe(1);
    expect(run.stdout).toMatch(/^restore rolled_back: .*\nerror: .*create action \d+ of droplet \d+ errored/);
    expect(liveRestored(box)).toEqual([]);
    expect(box.sim.state().dropletHistory.filter((d) => d.createdBy === null && d.deletedAt !== null)).toEqual([]);
    expect(restoreViolations(box)).toEqual([]);
  });
});
