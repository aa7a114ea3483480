import { describe, expect, it, onTestFinished } from 'vitest';
import { AmbiguousSagaIdError, LeaseLostError, SagaNotFoundError } from '../../src/engine/errors.js';
import type { SagaTransition } from '../../src/engine/ledger.js';
import type { SagaOwner } from '../../src/engine/types.js';
import { newSaga, openTestLedger } from '../helpers/ledger.js';
import { tempHome } from '../helpers/temp-home.js';

const OWNER: SagaOwner = { pid: 1, host: 'h', processStartedAt: null, acquiredAt: 0 };

function setup() {
  const { home } = tempHome();
  const t = openTestLedger(home);
  onTestFinished(() => t.close());
  return t;
}

const ID = {
  a1: 'aaaa1111-0000-4000-8000-000000000001',
  a2: 'aaaa2222-0000-4000-8000-000000000002',
  b: 'bbbb0000-0000-4000-8000-000000000003',
};

describe('resolveSagaId', () => {
  function seeded() {
    const t = setup();
    for (const id of Object.values(ID)) t.core.createSaga(newSaga({ id, stepNames: ['noop'] }), 1_000);
    return t.ledger;
  }

  it('resolves a full id and a unique prefix, case-insensitively', async () => {
    const ledger = seeded();
    expect(await ledger.resolveSagaId(ID.a1)).toBe(ID.a1);
    expect(await ledger.resolveSagaId('aaaa1')).toBe(ID.a1);
    expect(await ledger.resolveSagaId('AAAA2')).toBe(ID.a2);
    expect(await ledger.resolveSagaId(' b ')).toBe(ID.b);
  });

  it('refuses an ambiguous prefix, listing the matches', async () => {
    const ledger = seeded();
    let error: unknown;
    try {
      await ledger.resolveSagaId('aaaa');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(AmbiguousSagaIdError);
    expect((error as AmbiguousSagaIdError).matches.sort()).toEqual([ID.a1, ID.a2]);
  });

  it('says not found for an unknown prefix', async () => {
    await expect(seeded().resolveSagaId('cccc')).rejects.toThrow(SagaNotFoundError);
  });

  it.each(['a*', '*', 'a?', '[ab]*', "a' OR 1=1 --", 'a%', '', ' ', 'zz', `${ID.a1}0`])(
    'refuses %j without matching anything',
    async (ref) => {
      await expect(seeded().resolveSagaId(ref)).rejects.toThrow(SagaNotFoundError);
    },
  );
});

describe('listSagas', () => {
  function seeded() {
    const t = setup();
    const make = (
      id: string,
      at: number,
      kind: string,
      status: string,
      deploymentId: string | null,
      batchId: string | null = null,
    ) => {
      t.core.createSaga(newSaga({ id, kind, stepNames: ['noop', 'sleep'], deploymentId, batchId }), at);
      t.db.prepare('UPDATE saga_runs SET status = ? WHERE id = ?').run(status, id);
    };
    make('00000000-0000-4000-8000-000000000001', 1_000, 'test', 'succeeded', 'dep-1');
    make('00000000-0000-4000-8000-000000000002', 2_000, 'snapshot', 'rolled_back', 'dep-1', 'batch-9');
    make('00000000-0000-4000-8000-000000000003', 3_000, 'test', 'running', 'dep-2');
    make('00000000-0000-4000-8000-000000000004', 3_000, 'snapshot', 'cancelled', null, 'batch-9'); // same time as 3
    make('00000000-0000-4000-8000-000000000005', 4_000, 'test', 'pending', null);
    t.db
      .prepare(`UPDATE saga_step_results SET status = 'running' WHERE saga_id = ? AND idx = 1`)
      .run('00000000-0000-4000-8000-000000000003');
    return t.ledger;
  }
  const tail = (ids: { id: string }[]) => ids.map((s) => Number(s.id.slice(-1)));

  it('lists newest first (id breaks ties), 20 by default', async () => {
    const ledger = seeded();
    expect(tail(await ledger.listSagas({}))).toEqual([5, 4, 3, 2, 1]);
    const t = setup();
    for (let i = 0; i < 25; i++) await t.ledger.createSaga(newSaga({ stepNames: ['noop'] }), 10_000 + i);
    const listed = await t.ledger.listSagas({});
    expect(listed).toHaveLength(20);
    expect(listed[0]!.createdAt).toBe(10_024);
    expect(listed.at(-1)!.createdAt).toBe(10_005);
  });

  it('filters by status (any of several), kind, deployment and batch, and limits', async () => {
    const ledger = seeded();
    expect(tail(await ledger.listSagas({ status: ['rolled_back', 'cancelled'] }))).toEqual([4, 2]);
    expect(tail(await ledger.listSagas({ kind: 'snapshot' }))).toEqual([4, 2]);
    expect(tail(await ledger.listSagas({ deploymentId: 'dep-1' }))).toEqual([2, 1]);
    expect(tail(await ledger.listSagas({ batchId: 'batch-9' }))).toEqual([4, 2]);
    expect(tail(await ledger.listSagas({ kind: 'test', status: ['running', 'succeeded'] }))).toEqual([3, 1]);
    expect(tail(await ledger.listSagas({ limit: 2 }))).toEqual([5, 4]);
    expect(await ledger.listSagas({ kind: 'nothing' })).toEqual([]);
  });

  it('names the current step and leaves out steps and context', async () => {
    const ledger = seeded();
    const [five, , three] = await ledger.listSagas({});
    expect(three!.currentStep).toBe('sleep');
    expect(five!.currentStep).toBeNull();
    expect(five).not.toHaveProperty('steps');
    expect(five).not.toHaveProperty('context');
  });

  it('lists unfinished sagas oldest first, optionally by kind', async () => {
    const ledger = seeded();
    expect((await ledger.listUnfinishedSagaIds()).map((id) => Number(id.slice(-1)))).toEqual([3, 5]);
    expect(await ledger.listUnfinishedSagaIds({ kind: 'snapshot' })).toEqual([]);
  });
});

describe('apply: transactions and fencing', () => {
  function running() {
    const t = setup();
    const id = t.core.createSaga(newSaga({ stepNames: ['a', 'b'] }), 1_000).id;
    expect(t.core.claimLease(id, [0], 1, OWNER)).toBe(true);
    return { ...t, id, snapshot: () => ({ saga: t.core.getSaga(id), events: t.core.listEvents(id) }) };
  }

  it('writes saga fields, step fields, the context merge and an event with the epoch', async () => {
    const s = running();
    await s.ledger.apply(
      s.id,
      1,
      [
        { saga: { status: 'running' }, event: { from: 'pending', to: 'running' } },
        {
          step: { idx: 0, status: 'running', addAttempt: true, startedAt: 2_000 },
          event: { from: 'pending', to: 'running' },
        },
        {
          saga: { contextPatch: { x: 1 } },
          step: { idx: 0, status: 'succeeded', finishedAt: 2_500 },
          event: { from: 'running', to: 'succeeded' },
        },
        { saga: { contextPatch: { y: 2 } }, step: { idx: 1 }, event: { from: null, to: 'checkpoint', detail: 'y' } },
      ],
      3_000,
    );
    const saga = (await s.ledger.getSaga(s.id))!;
    expect(saga).toMatchObject({ status: 'running', updatedAt: 3_000, context: { __inputs__: {}, x: 1, y: 2 } });
    expect(saga.steps[0]).toMatchObject({ status: 'succeeded', attempts: 1, startedAt: 2_000, finishedAt: 2_500 });
    expect((await s.ledger.listEvents(s.id)).slice(1)).toEqual([
      expect.objectContaining({ stepIdx: null, stepName: null, from: 'pending', to: 'running', epoch: 1, at: 3_000 }),
      expect.objectContaining({ stepIdx: 0, stepName: 'a', from: 'pending', to: 'running', epoch: 1 }),
      expect.objectContaining({ stepIdx: 0, stepName: 'a', from: 'running', to: 'succeeded', epoch: 1 }),
      expect.objectContaining({ stepIdx: 1, stepName: 'b', from: null, to: 'checkpoint', detail: 'y', epoch: 1 }),
    ]);
  });

  it('writes all transitions of one call or none', async () => {
    const s = running();
    const before = s.snapshot();
    const broken: SagaTransition[] = [
      {
        saga: { status: 'running', contextPatch: { x: 1 } },
        step: { idx: 0, status: 'running' },
        event: { from: 'pending', to: 'running' },
      },
      { event: { from: null, to: null as unknown as string } }, // violates NOT NULL
    ];
    await expect(s.ledger.apply(s.id, 1, broken, 2_000)).rejects.toThrow();
    expect(s.snapshot()).toEqual(before);
  });

  it('refuses every write of an executor whose epoch was superseded, writing nothing', async () => {
    const s = running();
    expect(await s.ledger.claimLease(s.id, [1], 2, { ...OWNER, pid: 2 })).toBe(true);
    const before = s.snapshot();
    const attempts: SagaTransition[][] = [
      // step-only
      [{ step: { idx: 0, status: 'running', addAttempt: true }, event: { from: 'pending', to: 'running' } }],
      [{ saga: { contextPatch: { stolen: true } }, event: { from: null, to: 'checkpoint' } }],
      [{ saga: { status: 'succeeded', releaseOwner: true }, event: { from: 'running', to: 'succeeded' } }],
      [{ event: { from: null, to: 'owner' } }], // event only
    ];
    for (const transitions of attempts)
      await expect(s.ledger.apply(s.id, 1, transitions, 5_000)).rejects.toThrow(LeaseLostError);
    await expect(s.ledger.releaseLease(s.id, 1, 5_000)).rejects.toThrow(LeaseLostError);
    expect(s.snapshot()).toEqual(before);
    // The current holder still writes.
    await s.ledger.apply(s.id, 2, { event: { from: null, to: 'owner' } }, 6_000);
    expect((await s.ledger.listEvents(s.id)).at(-1)).toMatchObject({ to: 'owner', epoch: 2 });
  });

  it('claims the lease by compare-and-set: a stale expectation fails and changes nothing', async () => {
    const s = running();
    expect(await s.ledger.claimLease(s.id, [0], 5, { ...OWNER, pid: 9 })).toBe(false);
    expect(await s.ledger.getSaga(s.id)).toMatchObject({ leaseEpoch: 1, owner: { pid: 1 } });
    expect(await s.ledger.claimLease(s.id, [1, 0], 2, { ...OWNER, pid: 9 })).toBe(true);
    expect(await s.ledger.getSaga(s.id)).toMatchObject({ leaseEpoch: 2, owner: { pid: 9 } });
    await expect(s.ledger.currentEpoch('00000000-0000-4000-8000-00000000dead')).rejects.toThrow(SagaNotFoundError);
  });

  it('clears the owner when the last transition says so, and on releaseLease', async () => {
    const s = running();
    await s.ledger.apply(
      s.id,
      1,
      { saga: { status: 'succeeded', releaseOwner: true }, event: { from: 'running', to: 'succeeded' } },
      2_000,
    );
    expect((await s.ledger.getSaga(s.id))!.owner).toBeNull();
    expect(await s.ledger.claimLease(s.id, [1], 2, OWNER)).toBe(true);
    await s.ledger.releaseLease(s.id, 2, 3_000);
    expect(await s.ledger.getSaga(s.id)).toMatchObject({ owner: null, leaseEpoch: 2 });
  });

  it('records the first cancel request only', async () => {
    const s = running();
    expect(await s.ledger.isCancelRequested(s.id)).toBe(false);
    await s.ledger.requestCancel(s.id, 7_000);
    await s.ledger.requestCancel(s.id, 8_000);
    expect(await s.ledger.isCancelRequested(s.id)).toBe(true);
    expect((await s.ledger.getSaga(s.id))!.cancelRequestedAt).toBe(7_000);
  });
});
