import { describe, expect, it } from 'vitest';
import { createSnapshotStep } from '../../src/sagas/snapshot/create-snapshot-step.js';
import { SnapshotActionUnfinishedError } from '../../src/sagas/snapshot/errors.js';
import { FleetWatcher, type WatcherApi } from '../../src/sagas/snapshot/fleet-watcher.js';
import { snapshotName } from '../../src/sagas/snapshot/naming.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { DROPLET_ID, FakeDroplet, SAGA_ID, stepContext, stepDependencies } from './fake-droplet.js';

const OURS = snapshotName(DROPLET_ID, SAGA_ID);
const FOREVER = 1e12;

function world(runningStatus: string, durationMs = 30_000) {
  const clock = new FakeClock();
  const droplet = new FakeDroplet(clock, { durationMs, runningStatus });
  const step = createSnapshotStep(stepDependencies(droplet));
  return { clock, droplet, step };
}

describe('create_droplet_snapshot with an action status the API does not document', () => {
  it('waits through "pending" and records the snapshot the action then makes', async () => {
    const { clock, droplet, step } = world('pending');
    const output = await step.execute(stepContext(clock));
    expect(output).toMatchObject({ snapshot_name: OURS, snapshot_id: expect.any(String) });
    expect(droplet.actions).toHaveLength(1);
    expect(droplet.deletes).toEqual([]);
  });

  it('compensation never reports the undo done while the action may still make the snapshot', async () => {
    const { clock, droplet, step } = world('pending', FOREVER);
    const postingAt = clock.now();
    const action = droplet.start(OURS);
    const ctx = stepContext(clock, { snapshot_posting_at: postingAt, snapshot_action_id: action.id });
    const undo = step.compensate(ctx);
    await expect(undo).rejects.toBeInstanceOf(SnapshotActionUnfinishedError);
    await expect(undo).rejects.toThrow(new RegExp(`"pending".*${OURS}.*arcadia reconcile`));
    expect(droplet.remaining()).toEqual([OURS]); // it may yet appear: nothing was claimed deleted
  });

  it(
    'compensation of a lost reply finds the action on the droplet and refuses to ' + 'call an unfinished one undone',
    async () => {
      const { clock, droplet, step } = world('queued', FOREVER);
      const postingAt = clock.now();
      droplet.start(OURS);
      await expect(step.compensate(stepContext(clock, { snapshot_posting_at: postingAt }))).rejects.toBeInstanceOf(
        SnapshotActionUnfinishedError,
      );
    },
  );

  it('compensation waits for a "pending" action to end and deletes the snapshot it made', async () => {
    const { clock, droplet, step } = world('pending');
    const postingAt = clock.now();
    const action = droplet.start(OURS);
    await step.compensate(stepContext(clock, { snapshot_posting_at: postingAt, snapshot_action_id: action.id }));
    expect(droplet.remaining()).toEqual([]);
    expect(droplet.deletes).toHaveLength(1);
  });
});

describe('create_droplet_snapshot resumes what the previous version recorded', () => {
  it("an adopted action (old keys) that made someone else's snapshot is set aside; ours is taken once", async () => {
    const { clock, droplet, step } = world('in-progress', 2000);
    const postingAt = clock.now();
    const theirs = droplet.start('web-1-by-hand');
    const ctx = stepContext(clock, {
      snapshot_posting_at: postingAt,
      snapshot_action_id: theirs.id,
      snapshot_action_adopted: true,
    });
    const output = await step.execute(ctx);
    expect(output).toMatchObject({ snapshot_name: OURS });
    expect(ctx.context.snapshot_foreign_action_ids).toEqual([theirs.id]);
    expect(droplet.actions).toHaveLength(2);
    expect(droplet.remaining().sort()).toEqual([OURS, 'web-1-by-hand'].sort());
    expect(ctx.checkpoints).toEqual([
      { snapshot_action_id: null, snapshot_action_adopted: null, snapshot_foreign_action_ids: [theirs.id] },
      { snapshot_action_id: droplet.actions[1]?.id },
    ]);
  });

  it(
    'a POST aborted by an interruption stays outstanding: the ' + 'resumed step adopts its action, never posts again',
    async () => {
      const { clock, droplet, step } = world('in-progress');
      const api = droplet.api();
      const aborted = stepDependencies(droplet);
      // The request reached DigitalOcean, then the fetch was aborted (Ctrl-C, a lost lease): no answer came back.
      const interrupted = createSnapshotStep({
        ...aborted,
        api: () => ({
          ...api,
          postDropletAction: async (id, request) => {
            await api.postDropletAction(id, request);
            throw new DOMException('This operation was aborted', 'AbortError');
          },
        }),
      });
      const ctx = stepContext(clock);
      await expect(interrupted.execute(ctx)).rejects.toThrow('aborted');
      expect(ctx.context.snapshot_posting_at).toEqual(expect.any(Number));

      const output = await step.execute(stepContext(clock, { ...ctx.context }));
      expect(output).toMatchObject({ snapshot_name: OURS, snapshot_id: expect.any(String) });
      expect(droplet.actions).toHaveLength(1);
    },
  );

  it('a recorded snapshot is done: nothing is asked of DigitalOcean', async () => {
    const { clock, droplet, step } = world('in-progress');
    expect(await step.execute(stepContext(clock, { snapshot_id: '42', snapshot_name: OURS }))).toEqual({});
    expect(droplet.actions).toHaveLength(0);
  });
});

describe('create_droplet_snapshot through a fleet watcher', () => {
  it('one POST, one look at the action once its history says it is done, our snapshot found by name', async () => {
    const clock = new FakeClock();
    const droplet = new FakeDroplet(clock, { durationMs: 30_000, runningStatus: 'in-progress' });
    droplet.start('someone-elses-snapshot', 1_000); // a snapshot of another name on the droplet is never taken
    clock.advance(2_000);
    const calls: string[] = [];
    const api = droplet.api();
    const counted = new Proxy(api, {
      get: (target, key: string) => {
        const value = target[key as keyof typeof target];
        return typeof value === 'function'
          ? (...args: unknown[]) => {
              calls.push(key);
              return (value as (...a: unknown[]) => unknown).apply(target, args);
            }
          : value;
      },
    });
    const watcher = new FleetWatcher({
      api: (): WatcherApi => ({
        getAction: (id) => counted.getAction(id),
        listDropletSnapshots: (id) => counted.listDropletSnapshots(id),
        listSnapshots: (filter) => counted.listSnapshots(filter),
        listActionsPage: async () => {
          throw new Error('a lone action is asked for by id, never through the account listing');
        },
      }),
      clock,
      schedule: { pollIntervalMs: 1_000, growth: 0.12 },
      lookupIntervalMs: 1_000,
    });
    const deps = {
      ...stepDependencies(droplet),
      api: () => counted,
      watcher: () => watcher,
      snapshotHistory: async () => [30_000],
    };
    const output = await createSnapshotStep(deps).execute(stepContext(clock));
    expect(output).toMatchObject({ snapshot_name: OURS, snapshot_id: String(droplet.snapshots[1]?.id) });
    expect(calls).toEqual(['postDropletAction', 'getAction', 'listDropletSnapshots']);
  });
});
