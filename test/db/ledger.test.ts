import { describe, expect, it } from 'vitest';
import { AmbiguousSagaIdError, LeaseLostError, SagaNotFoundError } from '../../src/engine/errors.js';
import type { SagaTransition } from '../../src/engine/ledger.js';
import type { SagaOwner } from '../../src/engine/types.js';
import { ledgerBackends } from '../helpers/ledger-backends.js';
import { newSaga } from '../helpers/ledger.js';

const OWNER: SagaOwner = { pid: 1, host: 'h', processStartedAt: null, acquiredAt: 0 };

const ID = {
  a1: 'aaaa1111-0000-4000-8000-000000000001',
  a2: 'aaaa2222-0000-4000-8000-000000000002',
  b: 'bbbb0000-0000-4000-8000-000000000003',
};

describe.each(ledgerBackends())('the ledger on $name', (backend) => {
  describe('resolveSagaId', () => {
    async function seeded() {
      const { ledger } = await backend.open();
      for (const id of Object.values(ID)) await ledger.createSaga(newSaga({ id, stepNames: ['noop'] }), 1_000);
      return ledger;
    }

    it('resolves a full id and a unique prefix, case-insensitively', async () => {
      const ledger = await seeded();
      expect(await ledger.resolveSagaId(ID.a1)).toBe(ID.a1);
      expect(await ledger.resolveSagaId('aaaa1')).toBe(ID.a1);
      expect(await ledger.resolveSagaId('AAAA2')).toBe(ID.a2);
      expect(await ledger.resolveSagaId(' b ')).toBe(ID.b);
    });

    it('refuses an ambiguous prefix, listing the matches', async () => {
      const ledger = await seeded();
      const error: unknown = await Promise.resolve()
        .then(() => ledger.resolveSagaId('aaaa'))
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AmbiguousSagaIdError);
      expect((error as AmbiguousSagaIdError).matches.sort()).toEqual([ID.a1, ID.a2]);
    });

    it('says not found for an unknown prefix', async () => {
      const ledger = await seeded();
      await expect(Promise.resolve().then(() => ledger.resolveSagaId('cccc'))).rejects.toThrow(SagaNotFoundError);
    });

    it('refuses patterns, injections, blanks and over-long ids without matching anything', async () => {
      const ledger = await seeded();
      for (const ref of ['a*', '*', 'a?', '[ab]*', "a' OR 1=1 --", 'a%', 'a_', '', ' ', 'zz', `${ID.a1}0`]) {
        await expect(
          Promise.resolve().then(() => ledger.resolveSagaId(ref)),
          ref,
        ).rejects.toThrow(SagaNotFoundError);
      }
    });

    it('finds the sagas of an id prefix (as snapshot names carry), and none for a pattern', async () => {
      const ledger = await seeded();
      expect((await ledger.findSagasByIdPrefix('aaaa')).map((s) => s.id).sort()).toEqual([ID.a1, ID.a2]);
      expect(await ledger.findSagasByIdPrefix('a%')).toEqual([]);
    });
  });

  describe('listSagas', () => {
    async function seeded() {
      const t = await backend.open();
      const make = async (
        id: string,
        at: number,
        kind: string,
        status: string,
        deploymentId: string | null,
        batchId: string | null = null,
      ) => {
        await t.ledger.createSaga(newSaga({ id, kind, stepNames: ['noop', 'sleep'], deploymentId, batchId }), at);
        await t.setSaga(id, { status });
      };
      await make('00000000-0000-4000-8000-000000000001', 1_000, 'test', 'succeeded', 'dep-1');
      await make('00000000-0000-4000-8000-000000000002', 2_000, 'snapshot', 'rolled_back', 'dep-1', 'batch-9');
      await make('00000000-0000-4000-8000-000000000003', 3_000, 'test', 'running', 'dep-2');
      await make('00000000-0000-4000-8000-000000000004', 3_000, 'snapshot', 'cancelled', null, 'batch-9'); // same time
      await make('00000000-0000-4000-8000-000000000005', 4_000, 'test', 'pending', null);
      await t.setStepStatus('00000000-0000-4000-8000-000000000003', 1, 'running');
      return t.ledger;
    }
    const tail = (ids: { id: string }[]) => ids.map((s) => Number(s.id.slice(-1)));

    it('lists newest first (id breaks ties), 20 by default', async () => {
      const ledger = await seeded();
      expect(tail(await ledger.listSagas({}))).toEqual([5, 4, 3, 2, 1]);
      const { ledger: other } = await backend.open();
      for (let i = 0; i < 25; i++) await other.createSaga(newSaga({ stepNames: ['noop'] }), 10_000 + i);
      const listed = await other.listSagas({});
      expect(listed).toHaveLength(20);
      expect(listed[0]!.createdAt).toBe(10_024);
      expect(listed.at(-1)!.createdAt).toBe(10_005);
    });

    it('filters by status (any of several), kind, deployment and batch, and limits', async () => {
      const ledger = await seeded();
      expect(tail(await ledger.listSagas({ status: ['rolled_back', 'cancelled'] }))).toEqual([4, 2]);
      expect(tail(await ledger.listSagas({ kind: 'snapshot' }))).toEqual([4, 2]);
      expect(tail(await ledger.listSagas({ deploymentId: 'dep-1' }))).toEqual([2, 1]);
      expect(tail(await ledger.listSagas({ batchId: 'batch-9' }))).toEqual([4, 2]);
      expect(tail(await ledger.listSagas({ kind: 'test', status: ['running', 'succeeded'] }))).toEqual([3, 1]);
      expect(tail(await ledger.listSagas({ limit: 2 }))).toEqual([5, 4]);
      expect(await ledger.listSagas({ kind: 'nothing' })).toEqual([]);
    });

    it('names the current step and leaves out steps and context', async () => {
      const ledger = await seeded();
      const [five, , three] = await ledger.listSagas({});
      expect(three!.currentStep).toBe('sleep');
      expect(five!.currentStep).toBeNull();
      expect(five).not.toHaveProperty('steps');
      expect(five).not.toHaveProperty('context');
    });

    it('lists unfinished sagas oldest first, optionally by kind', async () => {
      const ledger = await seeded();
      expect((await ledger.listUnfinishedSagaIds()).map((id) => Number(id.slice(-1)))).toEqual([3, 5]);
      expect(await ledger.listUnfinishedSagaIds({ kind: 'snapshot' })).toEqual([]);
    });
  });

  describe('apply: transactions and fencing', () => {
    async function running() {
      const t = await backend.open();
      const id = (await t.ledger.createSaga(newSaga({ stepNames: ['a', 'b'] }), 1_000)).id;
      expect(await t.ledger.claimLease(id, [0], 1, OWNER)).toBe(true);
      const snapshot = async () => ({ saga: await t.ledger.getSaga(id), events: await t.ledger.listEvents(id) });
      return { ...t, id, snapshot };
    }

    it('writes saga fields, step fields, the context merge and an event with the epoch', async () => {
      const s = await running();
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
            saga: { contextPatch: { x: 1, nested: { keep: [1, 'two', null] } } },
            step: { idx: 0, status: 'succeeded', finishedAt: 2_500 },
            event: { from: 'running', to: 'succeeded' },
          },
          { saga: { contextPatch: { y: 2 } }, step: { idx: 1 }, event: { from: null, to: 'checkpoint', detail: 'y' } },
        ],
        3_000,
      );
      const saga = (await s.ledger.getSaga(s.id))!;
      expect(saga).toMatchObject({
        status: 'running',
        updatedAt: 3_000,
        context: { __inputs__: {}, x: 1, nested: { keep: [1, 'two', null] }, y: 2 },
      });
      expect(saga.steps[0]).toMatchObject({ status: 'succeeded', attempts: 1, startedAt: 2_000, finishedAt: 2_500 });
      expect((await s.ledger.listEvents(s.id)).slice(1)).toEqual([
        expect.objectContaining({ stepIdx: null, stepName: null, from: 'pending', to: 'running', epoch: 1, at: 3_000 }),
        expect.objectContaining({ stepIdx: 0, stepName: 'a', from: 'pending', to: 'running', epoch: 1 }),
        expect.objectContaining({ stepIdx: 0, stepName: 'a', from: 'running', to: 'succeeded', epoch: 1 }),
        expect.objectContaining({ stepIdx: 1, stepName: 'b', from: null, to: 'checkpoint', detail: 'y', epoch: 1 }),
      ]);
    });

    it('merges a context patch over existing keys, shallowly, as the runner expects', async () => {
      const s = await running();
      await s.ledger.apply(
        s.id,
        1,
        { saga: { contextPatch: { a: { x: 1 }, b: 1 } }, event: { from: null, to: 'c' } },
        2,
      );
      await s.ledger.apply(s.id, 1, { saga: { contextPatch: { a: { y: 2 } } }, event: { from: null, to: 'c' } }, 3);
      expect((await s.ledger.getSaga(s.id))!.context).toEqual({ __inputs__: {}, a: { y: 2 }, b: 1 });
    });

    it('writes all transitions of one call or none', async () => {
      const s = await running();
      const before = await s.snapshot();
      const broken: SagaTransition[] = [
        {
          saga: { status: 'running', contextPatch: { x: 1 } },
          step: { idx: 0, status: 'running' },
          event: { from: 'pending', to: 'running' },
        },
        { event: { from: null, to: null as unknown as string } }, // violates NOT NULL
      ];
      await expect(Promise.resolve().then(() => s.ledger.apply(s.id, 1, broken, 2_000))).rejects.toThrow();
      expect(await s.snapshot()).toEqual(before);
    });

    it('refuses every write of an executor whose epoch was superseded, writing nothing', async () => {
      const s = await running();
      expect(await s.ledger.claimLease(s.id, [1], 2, { ...OWNER, pid: 2 })).toBe(true);
      const before = await s.snapshot();
      const attempts: SagaTransition[][] = [
        // step-only
        [{ step: { idx: 0, status: 'running', addAttempt: true }, event: { from: 'pending', to: 'running' } }],
        [{ saga: { contextPatch: { stolen: true } }, event: { from: null, to: 'checkpoint' } }],
        [{ saga: { status: 'succeeded', releaseOwner: true }, event: { from: 'running', to: 'succeeded' } }],
        [{ event: { from: null, to: 'owner' } }], // event only
      ];
      for (const transitions of attempts) {
        await expect(Promise.resolve().then(() => s.ledger.apply(s.id, 1, transitions, 5_000))).rejects.toThrow(
          LeaseLostError,
        );
      }
      await expect(Promise.resolve().then(() => s.ledger.releaseLease(s.id, 1, 5_000))).rejects.toThrow(LeaseLostError);
      expect(await s.snapshot()).toEqual(before);
      // The current holder still writes.
      await s.ledger.apply(s.id, 2, { event: { from: null, to: 'owner' } }, 6_000);
      expect((await s.ledger.listEvents(s.id)).at(-1)).toMatchObject({ to: 'owner', epoch: 2 });
    });

    it('claims the lease by compare-and-set: a stale expectation fails and changes nothing', async () => {
      const s = await running();
      expect(await s.ledger.claimLease(s.id, [0], 5, { ...OWNER, pid: 9 })).toBe(false);
      expect(await s.ledger.getSaga(s.id)).toMatchObject({ leaseEpoch: 1, owner: { pid: 1 } });
      expect(await s.ledger.claimLease(s.id, [1, 0], 2, { ...OWNER, pid: 9 })).toBe(true);
      expect(await s.ledger.getSaga(s.id)).toMatchObject({ leaseEpoch: 2, owner: { pid: 9 } });
      await expect(
        Promise.resolve().then(() => s.ledger.currentEpoch('00000000-0000-4000-8000-00000000dead')),
      ).rejects.toThrow(SagaNotFoundError);
    });

    it('lets exactly one of two processes claiming the same epoch at once win', async () => {
      const s = await running();
      const other = await s.reopen();
      const claims = await Promise.all([
        Promise.resolve().then(() => s.ledger.claimLease(s.id, [1], 2, { ...OWNER, pid: 21 })),
        Promise.resolve().then(() => other.claimLease(s.id, [1], 2, { ...OWNER, pid: 22 })),
      ]);
      expect(claims.filter(Boolean)).toHaveLength(1);
      const winner = claims[0] ? 21 : 22;
      expect(await other.getSaga(s.id)).toMatchObject({ leaseEpoch: 2, owner: { pid: winner } });
    });

    it('clears the owner when the last transition says so, and on releaseLease', async () => {
      const s = await running();
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

    it('runs an exclusive section in one transaction: what its work wrote is gone when it rejects', async () => {
      const { ledger } = await backend.open();
      const kept = await ledger.exclusive(async (inside) => {
        const saga = await inside.createSaga(newSaga({ stepNames: ['noop'], batchId: 'kept' }), 1);
        expect(await inside.getSaga(saga.id)).toMatchObject({ batchId: 'kept' });
        return saga.id;
      });
      const failed = ledger.exclusive(async (inside) => {
        await inside.createSaga(newSaga({ stepNames: ['noop'], batchId: 'undone' }), 2);
        throw new Error('planning failed');
      });
      await expect(failed).rejects.toThrow('planning failed');
      expect((await ledger.listSagas({})).map((s) => s.id)).toEqual([kept]);
    });

    it('records the first cancel request only', async () => {
      const s = await running();
      expect(await s.ledger.isCancelRequested(s.id)).toBe(false);
      await s.ledger.requestCancel(s.id, 7_000);
      await s.ledger.requestCancel(s.id, 8_000);
      expect(await s.ledger.isCancelRequested(s.id)).toBe(true);
      expect((await s.ledger.getSaga(s.id))!.cancelRequestedAt).toBe(7_000);
    });
  });
});
