import { describe, expect, it } from 'vitest';
import { ConflictError, NotFoundError, OutcomeUnknownError } from '../../src/digitalocean/errors.js';
import { checkDroplet, checkVolume } from '../../src/digitalocean/reply-validation.js';
import { clientFor, failure, requestsTo, simulator, virtualClock } from './helpers.js';

const VOL = '11111111-1111-4111-8111-111111111111';

function volumeSim(config: Parameters<typeof simulator>[0] = {}) {
  return simulator({
    droplets: [{ id: 7, volumes: [{ id: VOL, name: 'data' }], snapshots: [{ id: 901, name: 'base' }] }],
    ...config,
  });
}

describe('client: volumes and volume snapshots', () => {
  it('lists volumes and a volume snapshot made with the documented body', async () => {
    const sim = await volumeSim();
    const client = clientFor(sim);
    expect((await client.listVolumes()).map((v) => [v.id, v.droplet_ids])).toEqual([[VOL, [7]]]);
    expect(await client.listVolumes({ name: 'other' })).toEqual([]);
    const made = await client.createVolumeSnapshot(VOL, 'nightly');
    expect(made).toMatchObject({ name: 'nightly', resource_id: VOL, resource_type: 'volume' });
    expect(requestsTo(sim, 'POST', '/v2/volumes')).toMatchObject([{ path: `/v2/volumes/${VOL}/snapshots` }]);
    expect(requestsTo(sim, 'POST', '/v2/volumes')[0]?.body).toEqual({ name: 'nightly' });
    expect((await client.listVolumeSnapshots(VOL)).map((s) => s.id)).toEqual([made.id]);
  });

  it('a duplicate name is a ConflictError, a second delete a NotFoundError', async () => {
    const sim = await volumeSim();
    const client = clientFor(sim);
    const made = await client.createVolumeSnapshot(VOL, 'nightly');
    expect(await failure(client.createVolumeSnapshot(VOL, 'nightly'))).toBeInstanceOf(ConflictError);
    await client.deleteVolumeSnapshot(made.id);
    expect(await failure(client.deleteVolumeSnapshot(made.id))).toBeInstanceOf(NotFoundError);
  });

  it('a lost reply is OutcomeUnknownError after exactly one POST, and the snapshot exists', async () => {
    const sim = await volumeSim({ faults: { dropNextPost: 1 } });
    const error = await failure(clientFor(sim, { retries: 5 }).createVolumeSnapshot(VOL, 'lost'));
    expect(error).toBeInstanceOf(OutcomeUnknownError);
    expect(error).toMatchObject({ attemptedType: 'volume_snapshot', status: null });
    expect(requestsTo(sim, 'POST', '/v2/volumes')).toHaveLength(1);
    expect(sim.state().volumeSnapshots).toMatchObject([{ name: 'lost' }]);
  });

  it('reply validation refuses volume ids that are not UUIDs, since they go into request paths', () => {
    const droplet = { id: 7, name: 'd', disk: 25, locked: false, status: 'active' };
    expect(checkDroplet({ ...droplet, volume_ids: [VOL] }, 'droplet')).toBeUndefined();
    expect(checkDroplet({ ...droplet, volume_ids: ['../../v2/account'] }, 'droplet')).toContain('droplet.volume_ids');
    expect(checkDroplet({ ...droplet, volume_ids: [5] }, 'droplet')).toContain('UUIDs');
    expect(checkVolume({ id: VOL, name: 'v', droplet_ids: null }, 'volume')).toBeUndefined();
    expect(checkVolume({ id: 'x', name: 'v', droplet_ids: [7] }, 'volume')).toContain('volume.id');
    expect(checkVolume({ id: VOL, name: 'v', droplet_ids: ['7'] }, 'volume')).toContain('volume.droplet_ids');
  });
});

describe('client: image actions', () => {
  it('posts a transfer with the documented body, reads it back both ways and lists it', async () => {
    const clock = virtualClock();
    const sim = await volumeSim({ clock: clock.now, imageActionDurationMs: { transfer: 100 } });
    const client = clientFor(sim);
    const action = await client.postImageAction(901, { type: 'transfer', region: 'ams3' });
    expect(action).toMatchObject({ type: 'transfer', resource_id: 901, status: 'in-progress' });
    expect(requestsTo(sim, 'POST', '/v2/images')[0]?.body).toEqual({
      type: 'transfer',
      region: 'ams3',
    });
    clock.advance(100);
    expect(await client.getImageAction(901, action.id)).toMatchObject({ status: 'completed' });
    expect(await client.getAction(action.id)).toMatchObject({ status: 'completed' });
    expect((await client.listImageActions(901)).map((a) => a.id)).toEqual([action.id]);
    expect((await client.getSnapshot('901')).regions).toEqual(['nyc3', 'ams3']);
  });

  it('a lost transfer reply is OutcomeUnknownError after exactly one POST', async () => {
    const sim = await volumeSim({ faults: { dropNextPost: 1 } });
    const error = await failure(
      clientFor(sim, { retries: 5 }).postImageAction(901, { type: 'transfer', region: 'lon1' }),
    );
    expect(error).toBeInstanceOf(OutcomeUnknownError);
    expect(error).toMatchObject({ attemptedType: 'transfer' });
    expect(requestsTo(sim, 'POST', '/v2/images')).toHaveLength(1);
    expect(sim.state().imageActions).toHaveLength(1);
  });
});
