import { describe, expect, it } from 'vitest';
import {
  DropletCreateErroredError,
  RestoredDropletNotFoundError,
  TaggedDropletsConflictError,
} from '../../src/sagas/restore/errors.js';
import { raw } from '../digitalocean/helpers.js';
import { PendingEventError, UnprocessableError } from '../../src/digitalocean/errors.js';
import type { RestoreApi } from '../../src/sagas/restore/api.js';
import { createDropletFromSnapshotStep } from '../../src/sagas/restore/create-droplet-step.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { BYSTANDER, INPUTS, NAME, restoreWorld, SNAPSHOT_ID, stepContext, TAG } from './restore-world.js';

type World = Awaited<ReturnType<typeof restoreWorld>>;

function posts(world: World): number {
  return world.sim.state().requests.filter((r) => r.method === 'POST' && r.path === '/v2/droplets').length;
}

/** A droplet made by a request whose reply never reached the step (as after a crash right after the POST). */
async function madeBehindTheStepsBack(world: World, name = NAME, tags = [TAG]): Promise<number> {
  const reply = await raw(world.sim, 'POST', '/v2/droplets', {
    body: { name, size: 's-1vcpu-1gb', image: SNAPSHOT_ID, region: 'nyc3', tags },
  });
  expect(reply.status, reply.text).toBe(202);
  return (reply.json as { droplet: { id: number } }).droplet.id;
}

describe('create_droplet_from_snapshot and wait_droplet_active', () => {
  it('create one tagged droplet, record it, and wait through the 404 window until it is active', async () => {
    const world = await restoreWorld();
    const created = await world.steps.create.execute(world.ctx(world.steps.create));
    const [made] = world.created();
    expect(world.created()).toHaveLength(1);
    expect(made).toMatchObject({ name: NAME, imageId: SNAPSHOT_ID, region: 'nyc3', sizeSlug: 's-1vcpu-1gb' });
    expect(made?.tags).toEqual([TAG, 'restored']);
    expect(created).toMatchObject({
      restore_name: NAME,
      restore_tag: TAG,
      restore_droplet_id: made?.id,
      restore_action_id: made?.createActionId,
      restore_requested_at: expect.any(Number),
    });
    Object.assign(world.context, created);
    const waited = await world.steps.wait.execute(world.ctx(world.steps.wait));
    expect(waited.active_after_ms).toBeGreaterThanOrEqual(1000);
    expect(world.sim.state().droplets.find((d) => d.id === made?.id)).toMatchObject({ status: 'active' });
  });

  it('the name and tag are checkpointed before the POST, the droplet id right after it', async () => {
    const world = await restoreWorld();
    const ctx = world.ctx(world.steps.create);
    await world.steps.create.execute(ctx);
    expect(ctx.checkpoints.map((c) => Object.keys(c).sort())).toEqual([
      ['restore_name', 'restore_tag'],
      ['restore_requested_at'],
      ['restore_action_id', 'restore_droplet_id'],
    ]);
  });

  it('a re-run after the droplet is recorded sends nothing', async () => {
    const world = await restoreWorld();
    Object.assign(world.context, await world.steps.create.execute(world.ctx(world.steps.create)));
    const before = world.sim.state().requests.length;
    await world.steps.create.execute(world.ctx(world.steps.create));
    expect(world.sim.state().requests.length).toBe(before);
  });

  for (const fault of ['dropNextPost', 'serverErrorAfterNextPost'] as const) {
    it(`after a lost reply (${fault}) adopts the droplet its tag finds, never posting again`, async () => {
      const world = await restoreWorld();
      world.sim.configure({ faults: { [fault]: 1 } });
      const output = await world.steps.create.execute(world.ctx(world.steps.create));
      const [made] = world.created();
      expect(world.created()).toHaveLength(1);
      expect(posts(world)).toBe(1);
      expect(output).toMatchObject({
        restore_droplet_id: made?.id,
        restore_adopted: true,
        restore_action_id: made?.createActionId,
      });
    });
  }

  it('resumed after a crash between the POST and its checkpoint, it adopts the droplet, never posting', async () => {
    const world = await restoreWorld();
    Object.assign(world.context, { restore_name: NAME, restore_tag: TAG, restore_requested_at: world.clock.now() });
    const id = await madeBehindTheStepsBack(world);
    const output = await world.steps.create.execute(world.ctx(world.steps.create));
    expect(output).toMatchObject({ restore_droplet_id: id, restore_adopted: true });
    expect(posts(world)).toBe(1);
  });

  it('resumed after a crash before the POST, it looks for the droplet (listings lag) and then posts once', async () => {
    const world = await restoreWorld();
    Object.assign(world.context, { restore_name: NAME, restore_tag: TAG, restore_requested_at: world.clock.now() });
    await world.steps.create.execute(world.ctx(world.steps.create));
    const listings = world.sim.state().requests.filter((r) => r.path === '/v2/droplets' && r.method === 'GET');
    expect(listings).toHaveLength(3); // ARCADIA_LOOKUP_ATTEMPTS
    expect(listings.every((r) => r.query.tag_name === TAG)).toBe(true);
    expect(posts(world)).toBe(1);
    expect(world.created()).toHaveLength(1);
  });

  it('a refused create (a region the snapshot lacks) fails with the provider message; nothing to undo', async () => {
    const world = await restoreWorld();
    (world.context.__inputs__ as Record<string, unknown>).region = 'sfo3';
    await expect(world.steps.create.execute(world.ctx(world.steps.create))).rejects.toBeInstanceOf(UnprocessableError);
    expect(world.context.restore_requested_at).toBeNull();
    const before = world.sim.state().requests.length;
    await world.steps.create.compensate(world.ctx(world.steps.create));
    expect(world.sim.state().requests.length).toBe(before);
    expect(world.created()).toEqual([]);
  });

  it('an interruption aborting the POST keeps the request outstanding, so the resumed step adopts', async () => {
    const world = await restoreWorld();
    world.sim.configure({ faults: { slowNextRequests: { count: 2, ms: 300 } } }); // the listing, then the POST
    const stop = new AbortController();
    const execution = world.steps.create.execute(world.ctx(world.steps.create, stop.signal));
    setTimeout(() => stop.abort(new Error('interrupted')), 450);
    await expect(execution).rejects.toThrow('interrupted');
    expect(world.context.restore_requested_at).toEqual(expect.any(Number));
    const output = await world.steps.create.execute(world.ctx(world.steps.create));
    expect(output).toMatchObject({ restore_droplet_id: world.created()[0]?.id, restore_adopted: true });
    expect(posts(world)).toBe(1);
  });

  it('two droplets carrying its tag: fails loudly, posts nothing, and compensation deletes neither', async () => {
    const world = await restoreWorld();
    Object.assign(world.context, { restore_name: NAME, restore_tag: TAG, restore_requested_at: world.clock.now() });
    await madeBehindTheStepsBack(world);
    await madeBehindTheStepsBack(world);
    await expect(world.steps.create.execute(world.ctx(world.steps.create))).rejects.toBeInstanceOf(
      TaggedDropletsConflictError,
    );
    await expect(world.steps.create.compensate(world.ctx(world.steps.create))).rejects.toThrow(/delete the extra/);
    expect(world.sim.state().dropletHistory.filter((d) => d.deletedAt !== null)).toEqual([]);
    expect(posts(world)).toBe(2);
  });

  it('a droplet carrying its tag under another name is neither adopted nor deleted', async () => {
    const world = await restoreWorld();
    Object.assign(world.context, { restore_name: NAME, restore_tag: TAG, restore_requested_at: world.clock.now() });
    await madeBehindTheStepsBack(world, 'someone-elses');
    await expect(world.steps.create.execute(world.ctx(world.steps.create))).rejects.toThrow(/named "someone-elses"/);
    await expect(world.steps.create.compensate(world.ctx(world.steps.create))).rejects.toBeInstanceOf(
      TaggedDropletsConflictError,
    );
    expect(world.sim.state().dropletHistory.filter((d) => d.deletedAt !== null)).toEqual([]);
  });

  it('an errored create fails the wait; compensation deletes the droplet and no other', async () => {
    const world = await restoreWorld();
    world.sim.configure({ faults: { errorNextActions: 1 } });
    Object.assign(world.context, await world.steps.create.execute(world.ctx(world.steps.create)));
    await expect(world.steps.wait.execute(world.ctx(world.steps.wait))).rejects.toBeInstanceOf(
      DropletCreateErroredError,
    );
    await world.steps.wait.compensate(world.ctx(world.steps.wait));
    await world.steps.create.compensate(world.ctx(world.steps.create));
    const deleted = world.sim.state().dropletHistory.filter((d) => d.deletedAt !== null);
    expect(deleted.map((d) => d.id)).toEqual([world.context.restore_droplet_id]);
    expect(deleted.some((d) => d.id === BYSTANDER)).toBe(false);
  });

  it('compensation after a lost reply finds the unrecorded droplet by tag; a repeat takes 404 as done', async () => {
    const world = await restoreWorld();
    Object.assign(world.context, { restore_name: NAME, restore_tag: TAG, restore_requested_at: world.clock.now() });
    const id = await madeBehindTheStepsBack(world);
    await world.steps.create.compensate(world.ctx(world.steps.create));
    Object.assign(world.context, { restore_droplet_id: id });
    await world.steps.create.compensate(world.ctx(world.steps.create)); // still listed: DELETE answers 404
    const deletes = world.sim.state().requests.filter((r) => r.method === 'DELETE');
    expect(deletes.map((r) => [r.path, r.status])).toEqual([
      [`/v2/droplets/${id}`, 204],
      [`/v2/droplets/${id}`, 404],
    ]);
    expect(
      world.sim
        .state()
        .dropletHistory.filter((d) => d.deletedAt !== null)
        .map((d) => d.id),
    ).toEqual([id]);
  });

  it('the wait gives up when the droplet stays unfound past the allowed 404s', async () => {
    const world = await restoreWorld({ createdDropletNotFoundMs: 10_000 }, { notFoundChecks: 2 });
    Object.assign(world.context, await world.steps.create.execute(world.ctx(world.steps.create)));
    world.context.restore_action_id = null; // polls the droplet alone, as after an adoption that found no action
    await expect(world.steps.wait.execute(world.ctx(world.steps.wait))).rejects.toBeInstanceOf(
      RestoredDropletNotFoundError,
    );
  });
});

describe('delete_restored_droplet', () => {
  it('deletes the recorded droplet, waits until it is gone, and is done at once when run again', async () => {
    const world = await restoreWorld();
    Object.assign(world.context, await world.steps.create.execute(world.ctx(world.steps.create)));
    Object.assign(world.context, await world.steps.wait.execute(world.ctx(world.steps.wait)));
    const output = await world.steps.remove.execute(world.ctx(world.steps.remove));
    expect(output.restore_deleted_at).toEqual(expect.any(Number));
    const [made] = world.created();
    expect(made).toMatchObject({ listed: false, deletedBy: 'tokens[0]' });
    Object.assign(world.context, output);
    await world.steps.remove.execute(world.ctx(world.steps.remove));
    expect(world.sim.state().requests.filter((r) => r.method === 'DELETE')).toHaveLength(1);
    expect(INPUTS.snapshot_id).toBe(String(SNAPSHOT_ID));
  });
});

describe('create_droplet_from_snapshot compensation against a busy droplet', () => {
  it('waits out "pending event" refusals of the DELETE, then deletes', async () => {
    const clock = new FakeClock();
    const busy = new PendingEventError({
      method: 'DELETE',
      path: '/v2/droplets/42',
      status: 422,
      providerMessage: 'Droplet already has a pending event.',
    });
    const deletes: number[] = [];
    const api = {
      listDroplets: async () => [{ id: 42, name: NAME, tags: [TAG] }],
      deleteDroplet: async (id: number) => {
        deletes.push(id);
        if (deletes.length < 3) throw busy;
      },
    } as unknown as RestoreApi;
    const timings = {
      pollIntervalMs: 100,
      lookupAttempts: 1,
      lookupIntervalMs: 1,
      restoreTimeoutMs: 1000,
      notFoundChecks: 1,
    };
    const step = createDropletFromSnapshotStep({ api: () => api, timings });
    const context = { __inputs__: INPUTS, restore_name: NAME, restore_tag: TAG, restore_droplet_id: 42 };
    await step.compensate(stepContext(clock, step, context, new AbortController().signal));
    expect(deletes).toEqual([42, 42, 42]);
    expect(clock.sleeps).toEqual([100, 100]);
  });
});
