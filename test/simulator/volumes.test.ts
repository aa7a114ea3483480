import { describe, expect, it } from 'vitest';
import type { Action, Droplet, DropletSnapshot, Snapshot, Volume } from '../../src/digitalocean/types.js';
import { ACTION, problems, SNAPSHOT, VOLUME } from '../digitalocean/schema.js';
import { raw, simulator, virtualClock } from '../digitalocean/helpers.js';

type Sim = Awaited<ReturnType<typeof simulator>>;

const VOL_A = '11111111-1111-4111-8111-111111111111';
const VOL_B = '22222222-2222-4222-8222-222222222222';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const MINUTE = 60_000;

async function get<T>(sim: Sim, path: string, key: string): Promise<T> {
  const reply = await raw(sim, 'GET', path);
  expect(reply.status, `${path}: ${reply.text}`).toBe(200);
  return (reply.json as Record<string, T>)[key] as T;
}

function volumeSim(clock = virtualClock(), extra: Parameters<typeof simulator>[0] = {}) {
  return simulator({
    clock: clock.now,
    droplets: [
      {
        id: 7,
        name: 'db-07',
        region: 'fra1',
        volumes: [
          { id: VOL_A, name: 'data', sizeGigabytes: 100 },
          { id: VOL_B, name: 'logs' },
        ],
      },
      { id: 8, name: 'web-08', snapshots: [{ id: 901, name: 'web-base' }], backups: [{ id: 900, name: 'weekly' }] },
    ],
    ...extra,
  });
}

async function snap(sim: Sim, volumeId: string, name: string) {
  return raw(sim, 'POST', `/v2/volumes/${volumeId}/snapshots`, { body: { name } });
}

describe('simulated volumes', () => {
  it('list with droplet_ids, consistent with the droplets volume_ids, filtered by name and region only', async () => {
    const sim = await volumeSim();
    const volumes = await get<Volume[]>(sim, '/v2/volumes', 'volumes');
    expect(volumes.flatMap((v, i) => problems(v, VOLUME, `volumes[${i}].`))).toEqual([]);
    expect(volumes.map((v) => [v.id, v.droplet_ids, v.region.slug])).toEqual([
      [VOL_A, [7], 'fra1'],
      [VOL_B, [7], 'fra1'],
    ]);
    expect((await get<Droplet>(sim, '/v2/droplets/7', 'droplet')).volume_ids).toEqual([VOL_A, VOL_B]);
    expect((await get<Droplet>(sim, '/v2/droplets/8', 'droplet')).volume_ids).toEqual([]);
    expect((await get<Volume[]>(sim, '/v2/volumes?name=logs', 'volumes')).map((v) => v.id)).toEqual([VOL_B]);
    expect(await get<Volume[]>(sim, '/v2/volumes?region=nyc3', 'volumes')).toEqual([]);
  });
});

describe('simulated volume snapshots', () => {
  it('are synchronous: 201 with a UUID, listed at once per volume and among the volume snapshots', async () => {
    const clock = virtualClock();
    const sim = await volumeSim(clock);
    const reply = await snap(sim, VOL_A, 'nightly');
    expect(reply.status, reply.text).toBe(201);
    const created = (reply.json as { snapshot: Snapshot }).snapshot;
    expect(problems(created, SNAPSHOT, 'snapshot.')).toEqual([]);
    expect(created).toMatchObject({
      name: 'nightly',
      resource_id: VOL_A,
      resource_type: 'volume',
      regions: ['fra1'],
      min_disk_size: 100,
    });
    expect(created.id).toMatch(UUID);

    expect((await get<Snapshot[]>(sim, `/v2/volumes/${VOL_A}/snapshots`, 'snapshots')).map((s) => s.id)).toEqual([
      created.id,
    ]);
    expect(await get<Snapshot[]>(sim, `/v2/volumes/${VOL_B}/snapshots`, 'snapshots')).toEqual([]);
    expect((await get<Snapshot[]>(sim, '/v2/snapshots?resource_type=volume', 'snapshots')).map((s) => s.id)).toEqual([
      created.id,
    ]);
    expect((await get<Snapshot[]>(sim, '/v2/snapshots?resource_type=droplet', 'snapshots')).map((s) => s.id)).toEqual([
      '901',
    ]);
    expect((await get<Snapshot[]>(sim, '/v2/snapshots', 'snapshots')).map((s) => s.id)).toEqual(['901', created.id]);
    expect(await get<Snapshot>(sim, `/v2/snapshots/${created.id}`, 'snapshot')).toEqual(created);
    expect(sim.state().volumeSnapshots).toMatchObject([
      { id: created.id, volumeId: VOL_A, name: 'nightly', createdBy: 'tokens[0]', deletedAt: null },
    ]);
  });

  it('answer 400 without a name, 404 for an unknown volume, 409 for a name the volume has', async () => {
    const sim = await volumeSim();
    expect((await raw(sim, 'POST', `/v2/volumes/${VOL_A}/snapshots`, { body: {} })).status).toBe(400);
    expect((await raw(sim, 'POST', `/v2/volumes/${VOL_A}/snapshots`, { body: { name: '' } })).status).toBe(400);
    expect((await snap(sim, '99999999-9999-4999-8999-999999999999', 'x')).status).toBe(404);
    expect((await raw(sim, 'GET', '/v2/volumes/99999999-9999-4999-8999-999999999999/snapshots')).status).toBe(404);
    expect((await snap(sim, VOL_A, 'same')).status).toBe(201);
    const duplicate = await snap(sim, VOL_A, 'same');
    expect(duplicate.status).toBe(409);
    expect(duplicate.json).toMatchObject({ id: 'conflict' });
    // names are unique per volume only
    expect((await snap(sim, VOL_B, 'same')).status).toBe(201);
    expect(sim.state().volumeSnapshots).toHaveLength(2);
  });

  it('enforce one snapshot per volume every 10 minutes, with a configurable status', async () => {
    const clock = virtualClock();
    const sim = await volumeSim(clock, { volumeLimitStatus: 429 });
    expect((await snap(sim, VOL_A, 'first')).status).toBe(201);
    clock.advance(9 * MINUTE);
    const early = await snap(sim, VOL_A, 'second');
    expect(early.status).toBe(429);
    expect(early.json).toMatchObject({ message: expect.stringContaining('10 minutes') as unknown });
    // another volume has its own clock
    expect((await snap(sim, VOL_B, 'second')).status).toBe(201);
    clock.advance(MINUTE);
    expect((await snap(sim, VOL_A, 'second')).status).toBe(201);
  });

  it('enforce 25 snapshots per volume; a deleted one makes room', async () => {
    const clock = virtualClock();
    const seeded = Array.from({ length: 25 }, (_, i) => ({
      name: `old-${i}`,
      createdAt: new Date(clock.now() - (i + 1) * 3_600_000).toISOString(),
    }));
    const sim = await simulator({
      clock: clock.now,
      droplets: [{ id: 7, volumes: [{ id: VOL_A, snapshots: seeded }] }],
    });
    const full = await snap(sim, VOL_A, 'one-too-many');
    expect(full.status).toBe(422);
    expect(full.json).toMatchObject({ message: expect.stringContaining('25') as unknown });
    const [oldest] = await get<Snapshot[]>(sim, `/v2/volumes/${VOL_A}/snapshots`, 'snapshots');
    expect((await raw(sim, 'DELETE', `/v2/volumes/snapshots/${oldest?.id ?? ''}`)).status).toBe(204);
    expect((await snap(sim, VOL_A, 'one-too-many')).status).toBe(201);
  });

  it('delete through /v2/volumes/snapshots/{id} and /v2/snapshots/{uuid}: 204, then 404', async () => {
    const sim = await volumeSim();
    const a = ((await snap(sim, VOL_A, 'a')).json as { snapshot: Snapshot }).snapshot;
    const b = ((await snap(sim, VOL_B, 'b')).json as { snapshot: Snapshot }).snapshot;
    expect((await raw(sim, 'DELETE', `/v2/volumes/snapshots/${a.id}`)).status).toBe(204);
    expect((await raw(sim, 'DELETE', `/v2/volumes/snapshots/${a.id}`)).status).toBe(404);
    expect((await raw(sim, 'DELETE', `/v2/snapshots/${a.id}`)).status).toBe(404);
    expect((await raw(sim, 'DELETE', `/v2/snapshots/${b.id}`)).status).toBe(204);
    expect((await raw(sim, 'DELETE', `/v2/volumes/snapshots/${b.id}`)).status).toBe(404);
    expect((await raw(sim, 'GET', `/v2/snapshots/${b.id}`)).status).toBe(404);
    expect(await get<Snapshot[]>(sim, '/v2/snapshots?resource_type=volume', 'snapshots')).toEqual([]);
    expect(sim.state().volumeSnapshots.map((s) => s.deletedBy)).toEqual(['tokens[0]', 'tokens[0]']);
  });

  it('take effect when the reply is lost: the retried POST meets 409', async () => {
    const sim = await volumeSim();
    sim.configure({ faults: { dropNextPost: 1 } });
    await expect(snap(sim, VOL_A, 'lost')).rejects.toThrow();
    expect(sim.state().volumeSnapshots).toMatchObject([{ name: 'lost', deletedAt: null }]);
    expect((await snap(sim, VOL_A, 'lost')).status).toBe(409);
    sim.configure({ faults: { serverErrorAfterNextPost: 1 } });
    expect((await snap(sim, VOL_B, 'five-hundred')).status).toBe(500);
    expect(sim.state().volumeSnapshots.map((s) => s.name)).toEqual(['lost', 'five-hundred']);
  });
});

describe('simulated image actions', () => {
  async function transfer(sim: Sim, imageId: number, body: unknown) {
    return raw(sim, 'POST', `/v2/images/${imageId}/actions`, { body });
  }

  it('transfer: 201 in the action wrapper, read both ways; on completion the region is in both shapes', async () => {
    const clock = virtualClock();
    const sim = await volumeSim(clock, { imageActionDurationMs: { transfer: 1000 } });
    const reply = await transfer(sim, 901, { type: 'transfer', region: 'ams3' });
    expect(reply.status, reply.text).toBe(201);
    const action = (reply.json as { action: Action }).action;
    expect(problems(action, ACTION, 'action.')).toEqual([]);
    expect(action).toMatchObject({
      type: 'transfer',
      resource_type: 'image',
      resource_id: 901,
      status: 'in-progress',
      completed_at: null,
    });
    expect((await get<Snapshot>(sim, '/v2/snapshots/901', 'snapshot')).regions).toEqual(['nyc3']);

    clock.advance(1000);
    for (const path of [`/v2/images/901/actions/${action.id}`, `/v2/actions/${action.id}`]) {
      expect((await get<Action>(sim, path, 'action')).status).toBe('completed');
    }
    expect((await raw(sim, 'GET', `/v2/images/902/actions/${action.id}`)).status).toBe(404);
    expect((await get<Snapshot>(sim, '/v2/snapshots/901', 'snapshot')).regions).toEqual(['nyc3', 'ams3']);
    expect((await get<Snapshot[]>(sim, '/v2/snapshots?resource_type=droplet', 'snapshots'))[0]).toMatchObject({
      id: '901',
      regions: ['nyc3', 'ams3'],
    });
    expect(
      (await get<DropletSnapshot[]>(sim, '/v2/droplets/8/snapshots', 'snapshots')).find((s) => s.id === 901)?.regions,
    ).toEqual(['nyc3', 'ams3']);
    expect((await get<Action[]>(sim, '/v2/images/901/actions', 'actions')).map((a) => a.id)).toEqual([action.id]);
    expect(sim.state().imageActions).toMatchObject([
      { id: action.id, imageId: 901, type: 'transfer', region: 'ams3', status: 'completed' },
    ]);
    expect(sim.state().snapshotRegions['901']).toEqual(['nyc3', 'ams3']);
  });

  it('transfer: regions only grow; an errored one adds none; a repeated one changes nothing', async () => {
    const clock = virtualClock();
    const sim = await volumeSim(clock, { imageActionDurationMs: { transfer: 100 } });
    sim.configure({ faults: { errorNextActions: 1 } });
    await transfer(sim, 901, { type: 'transfer', region: 'lon1' });
    await transfer(sim, 901, { type: 'transfer', region: 'sgp1' });
    clock.advance(100);
    await transfer(sim, 901, { type: 'transfer', region: 'sgp1' });
    clock.advance(100);
    expect((await get<Snapshot>(sim, '/v2/snapshots/901', 'snapshot')).regions).toEqual(['nyc3', 'sgp1']);
    expect((await get<Action[]>(sim, '/v2/images/901/actions', 'actions')).map((a) => a.status)).toEqual([
      'completed',
      'completed',
      'errored',
    ]);
  });

  it('refuse unknown or deleted images (404), missing or unknown regions (422), bad bodies (400)', async () => {
    const sim = await volumeSim();
    expect((await transfer(sim, 123, { type: 'transfer', region: 'ams3' })).status).toBe(404);
    expect((await transfer(sim, 901, { type: 'transfer' })).status).toBe(422);
    expect((await transfer(sim, 901, { type: 'transfer', region: 'mars1' })).status).toBe(422);
    expect((await transfer(sim, 901, { type: 'resize' })).status).toBe(422);
    expect((await raw(sim, 'POST', '/v2/images/901/actions', { body: [1] })).status).toBe(400);
    expect((await raw(sim, 'DELETE', '/v2/snapshots/901')).status).toBe(204);
    expect((await transfer(sim, 901, { type: 'transfer', region: 'ams3' })).status).toBe(404);
    expect(sim.state().imageActions).toEqual([]);
  });

  it('convert turns a backup into a snapshot on completion', async () => {
    const clock = virtualClock();
    const sim = await volumeSim(clock, { imageActionDurationMs: { convert: 200 } });
    expect((await transfer(sim, 901, { type: 'convert' })).status).toBe(422);
    const reply = await transfer(sim, 900, { type: 'convert' });
    expect(reply.status).toBe(201);
    expect((reply.json as { action: Action }).action).toMatchObject({ type: 'convert', resource_id: 900 });
    expect((await raw(sim, 'GET', '/v2/snapshots/900')).status).toBe(400);
    clock.advance(200);
    expect((await get<Snapshot>(sim, '/v2/snapshots/900', 'snapshot')).name).toBe('weekly');
    expect(
      (await get<DropletSnapshot[]>(sim, '/v2/droplets/8/snapshots', 'snapshots')).find((s) => s.id === 900)?.type,
    ).toBe('snapshot');
  });

  it('take effect when the reply is lost', async () => {
    const sim = await volumeSim();
    sim.configure({ faults: { dropNextPost: 1 } });
    await expect(transfer(sim, 901, { type: 'transfer', region: 'ams3' })).rejects.toThrow();
    expect(sim.state().imageActions).toMatchObject([{ imageId: 901, region: 'ams3', status: 'in-progress' }]);
    expect(sim.state().requests.at(-1)).toMatchObject({ method: 'POST', status: null, fault: 'dropReplyAfterEffect' });
  });
});
