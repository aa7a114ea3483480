import { sql } from 'drizzle-orm';
import { describe, expect, it, onTestFinished } from 'vitest';
import { DatabaseLeases, type DatabaseLeaseOptions } from '../../src/db/database-leases.js';
import { PgSagaLedger } from '../../src/db/pg-ledger.js';
import { LeaseLostError, SagaOwnedError } from '../../src/engine/errors.js';
import type { OwnerProcessState, ProcessIdentity } from '../../src/engine/process-identity.js';
import { waitFor } from '../helpers/arcadia.js';
import { newSaga } from '../helpers/ledger.js';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres.js';

const STALE_MS = 60_000;

/** One "host": its own pool on the shared database, its identity, and what its process table says of a pid. */
async function host(
  database: TestDatabase,
  identity: Partial<ProcessIdentity> & { host: string },
  heartbeatMs = 3_600_000,
) {
  const ledger = await PgSagaLedger.open(database.target(), { poolSize: 4 });
  onTestFinished(async () => {
    if (!ledger.pool.ended) await ledger.close();
  });
  const gone = new Set<number>();
  const processState = (pid: number): OwnerProcessState => (gone.has(pid) ? 'gone' : 'alive');
  const options: DatabaseLeaseOptions = {
    staleMs: STALE_MS,
    heartbeatMs,
    identity: { pid: 100, startedAt: 1_000, ...identity },
    processState,
  };
  return { ledger, leases: new DatabaseLeases(ledger, options), gone };
}

async function setup() {
  const database = await createTestDatabase();
  const a = await host(database, { host: 'bastion-a', pid: 101 });
  const b = await host(database, { host: 'bastion-b', pid: 202 });
  const id = (await a.ledger.createSaga(newSaga({ stepNames: ['noop'] }), 1_000)).id;
  /** Moves the recorded heartbeat back, as if the owner had not beaten for `ms`. */
  const age = (ms: number) =>
    a.ledger.db.execute(sql`UPDATE saga_runs SET owner_heartbeat_at = owner_heartbeat_at - ${ms} WHERE id = ${id}`);
  return { database, a, b, id, age };
}

async function refusal(work: Promise<unknown>): Promise<SagaOwnedError> {
  const error = await work.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(SagaOwnedError);
  return error as SagaOwnedError;
}

describe('leases held in the PostgreSQL ledger', () => {
  it('takes a free saga at the next epoch, recording host, pid, process start and heartbeat in its row', async () => {
    const { a, id } = await setup();
    const lease = await a.leases.acquire(id);
    expect(lease).toMatchObject({ sagaId: id, epoch: 1, takeoverReason: null });
    expect(lease.owner).toMatchObject({ pid: 101, host: 'bastion-a', processStartedAt: 1_000 });
    const saga = await a.ledger.getSaga(id);
    expect(saga).toMatchObject({ leaseEpoch: 1, owner: { pid: 101, host: 'bastion-a', processStartedAt: 1_000 } });
    expect(await a.leases.liveOwner(id)).toMatchObject({ pid: 101, host: 'bastion-a' });
  });

  it('refuses another host while the heartbeat is fresh, naming the owner; beats keep it fresh', async () => {
    const { a, b, id, age } = await setup();
    const lease = await a.leases.acquire(id);
    const refused = await refusal(b.leases.acquire(id));
    expect(refused.message).toContain('pid 101 on bastion-a');
    await age(STALE_MS - 5_000);
    expect(await lease.beat()).toBe(true); // back to fresh
    await age(STALE_MS - 5_000);
    await refusal(b.leases.acquire(id));
    expect(await a.ledger.currentEpoch(id)).toBe(1);
  });

  it(
    'lets another host take over once the heartbeat is older ' + 'than the stale time; the old lease is fenced',
    async () => {
      const { a, b, id, age } = await setup();
      const old = await a.leases.acquire(id);
      await age(STALE_MS + 1_000);
      expect(await b.leases.liveOwner(id)).toBeUndefined();
      // On its own host a running owner is alive whatever its heartbeat says.
      expect(await a.leases.liveOwner(id)).toMatchObject({ pid: 101 });
      const taken = await b.leases.acquire(id);
      expect(taken.epoch).toBe(2);
      expect(taken.takeoverReason).toMatch(/^owner pid 101 on bastion-a has not beaten for \d+ ms$/);
      expect(await b.ledger.getSaga(id)).toMatchObject({ leaseEpoch: 2, owner: { pid: 202, host: 'bastion-b' } });
      // The old owner learns it at its next beat, and none of its writes lands.
      expect(await old.beat()).toBe(false);
      await expect(a.ledger.apply(id, 1, { event: { from: null, to: 'owner' } }, 2_000)).rejects.toThrow(
        LeaseLostError,
      );
      await old.release(); // never removes its successor's lease
      expect(await b.leases.liveOwner(id)).toMatchObject({ pid: 202, host: 'bastion-b' });
    },
  );

  it('on the same host, takes over a gone owner at once but never a running one for staleness alone', async () => {
    const database = await createTestDatabase();
    const first = await host(database, { host: 'bastion-a', pid: 101 });
    const second = await host(database, { host: 'bastion-a', pid: 102 });
    const id = (await first.ledger.createSaga(newSaga({ stepNames: ['noop'] }), 1_000)).id;
    await first.leases.acquire(id);
    await first.ledger.db.execute(sql`UPDATE saga_runs SET owner_heartbeat_at = 0 WHERE id = ${id}`);
    await refusal(second.leases.acquire(id)); // stale, but its process runs
    second.gone.add(101);
    const taken = await second.leases.acquire(id);
    expect(taken).toMatchObject({ epoch: 2, takeoverReason: 'owner pid 101 is gone' });
  });

  it('lets exactly one of several hosts that see the same stale owner win', async () => {
    const { database, a, id, age } = await setup();
    await a.leases.acquire(id);
    await age(STALE_MS + 1_000);
    const contenders = await Promise.all(
      ['c1', 'c2', 'c3', 'c4', 'c5'].map((name, i) => host(database, { host: name, pid: 300 + i })),
    );
    const outcomes = await Promise.allSettled(contenders.map((c) => c.leases.acquire(id)));
    const won = outcomes.filter((o) => o.status === 'fulfilled');
    expect(won).toHaveLength(1);
    for (const lost of outcomes.filter((o) => o.status === 'rejected')) {
      expect(lost.reason).toBeInstanceOf(SagaOwnedError);
    }
    expect(await a.ledger.currentEpoch(id)).toBe(2);
  });

  it('lets go of the owner columns on release, so the saga is free at once', async () => {
    const { a, b, id } = await setup();
    const lease = await a.leases.acquire(id);
    await lease.release();
    expect(await a.leases.liveOwner(id)).toBeUndefined();
    expect((await b.leases.acquire(id)).takeoverReason).toBeNull();
  });

  it("holds a batch for every host to see until released; a stale hold is nobody's", async () => {
    const { a, b } = await setup();
    const hold = await a.leases.holdBatch('batch-1');
    expect(await b.leases.batchHolder('batch-1')).toMatchObject({ pid: 101, host: 'bastion-a' });
    expect(await b.leases.batchHolder('batch-2')).toBeUndefined();
    await a.ledger.db.execute(sql`UPDATE batch_holds SET heartbeat_at = heartbeat_at - ${STALE_MS + 1_000}`);
    expect(await b.leases.batchHolder('batch-1')).toBeUndefined();
    await hold.release();
    expect(await a.leases.batchHolder('batch-1')).toBeUndefined();
  });

  it('renews a batch hold every heartbeat', async () => {
    const database = await createTestDatabase();
    const a = await host(database, { host: 'bastion-a', pid: 101 }, 20);
    const b = await host(database, { host: 'bastion-b', pid: 202 });
    const hold = await a.leases.holdBatch('batch-1');
    onTestFinished(() => hold.release());
    await a.ledger.db.execute(sql`UPDATE batch_holds SET heartbeat_at = heartbeat_at - ${STALE_MS + 1_000}`);
    await waitFor(() => b.leases.batchHolder('batch-1'), { what: 'the hold to be renewed' });
  });
});
