import { randomUUID } from 'node:crypto';
import { eq, sql } from 'drizzle-orm';
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { DatabaseLeases } from '../../src/db/database-leases.js';
import { PgSagaLedger } from '../../src/db/pg-ledger.js';
import { batchHolds, sagaRuns } from '../../src/db/pg-schema.js';
import { SagaOwnedError } from '../../src/engine/errors.js';
import type { ProcessIdentity } from '../../src/engine/process-identity.js';
import { newSaga } from '../helpers/ledger.js';
import { fileDatabase, type TestDatabase } from '../helpers/postgres.js';

// What every SagaLeases implementation promises is proved for these leases in test/engine/leases.test.ts; here is
// what only they have: the row's columns, and the database's clock as the one every host judges by.

const STALE_MS = 60_000;

/** One "host": its own pool on the shared database, and its identity. */
async function host(database: TestDatabase, identity: Pick<ProcessIdentity, 'host' | 'pid'>) {
  const ledger = await PgSagaLedger.open(database.target(), { poolSize: 4 });
  onTestFinished(async () => {
    if (!ledger.pool.ended) await ledger.close();
  });
  const leases = new DatabaseLeases(ledger, {
    staleMs: STALE_MS,
    heartbeatMs: 3_600_000,
    identity: { startedAt: 1_000, ...identity },
    processState: () => 'alive',
  });
  return { ledger, leases };
}

const sharedDatabase = fileDatabase();

async function setup() {
  const database = await sharedDatabase();
  const a = await host(database, { host: 'bastion-a', pid: 101 });
  const b = await host(database, { host: 'bastion-b', pid: 202 });
  const id = (await a.ledger.createSaga(newSaga({ stepNames: ['noop'] }), 1_000)).id;
  return { a, b, id };
}

/** The database server's time in milliseconds (float8: the driver hands bigint over as text). */
async function databaseNow(ledger: PgSagaLedger): Promise<number> {
  const result = await ledger.db.execute<{ now: number }>(
    sql`SELECT floor(extract(epoch from clock_timestamp()) * 1000)::float8 AS now`,
  );
  return result.rows[0]!.now;
}

/** Runs `work` and reports the database's time just before and just after it. */
async function stamped<T>(ledger: PgSagaLedger, work: () => Promise<T>) {
  const before = await databaseNow(ledger);
  const result = await work();
  return { result, before, after: await databaseNow(ledger) };
}

const ownerColumns = (ledger: PgSagaLedger, id: string) =>
  ledger.db
    .select({
      epoch: sagaRuns.leaseEpoch,
      pid: sagaRuns.ownerPid,
      host: sagaRuns.ownerHost,
      startedAt: sagaRuns.ownerStartedAt,
      acquiredAt: sagaRuns.ownerAcquiredAt,
      heartbeatAt: sagaRuns.ownerHeartbeatAt,
    })
    .from(sagaRuns)
    .where(eq(sagaRuns.id, id))
    .then((rows) => rows[0]);

describe('leases held in the PostgreSQL ledger', () => {
  it("keeps a lease in its saga row's owner columns, stamped by the database's clock, cleared on release", async () => {
    const { a, id } = await setup();
    const taken = await stamped(a.ledger, () => a.leases.acquire(id));
    const row = await ownerColumns(a.ledger, id);
    expect(row).toMatchObject({ epoch: 1, pid: 101, host: 'bastion-a', startedAt: 1_000 });
    expect(row?.acquiredAt).toBeGreaterThanOrEqual(taken.before);
    expect(row?.acquiredAt).toBeLessThanOrEqual(taken.after);
    expect(row?.heartbeatAt).toBe(row?.acquiredAt);
    expect(taken.result.owner.acquiredAt).toBe(row?.acquiredAt);

    const beaten = await stamped(a.ledger, () => taken.result.beat());
    const afterBeat = await ownerColumns(a.ledger, id);
    expect(afterBeat?.heartbeatAt).toBeGreaterThanOrEqual(beaten.before);
    expect(afterBeat?.heartbeatAt).toBeLessThanOrEqual(beaten.after);
    expect(afterBeat?.acquiredAt).toBe(row?.acquiredAt);

    await taken.result.release();
    expect(await ownerColumns(a.ledger, id)).toEqual({
      epoch: 1,
      pid: null,
      host: null,
      startedAt: null,
      acquiredAt: null,
      heartbeatAt: null,
    });
  });

  it("keeps a batch's hold in a batch_holds row, stamped by the database's clock, deleted on release", async () => {
    const { a } = await setup();
    const batchId = randomUUID();
    const rows = () => a.ledger.db.select().from(batchHolds).where(eq(batchHolds.batchId, batchId));
    const held = await stamped(a.ledger, () => a.leases.holdBatch(batchId));
    const [row] = await rows();
    expect(row).toMatchObject({ batchId, ownerPid: 101, ownerHost: 'bastion-a', ownerStartedAt: 1_000 });
    expect(row?.acquiredAt).toBeGreaterThanOrEqual(held.before);
    expect(row?.acquiredAt).toBeLessThanOrEqual(held.after);
    expect(row?.heartbeatAt).toBe(row?.acquiredAt);

    await held.result.release();
    expect(await rows()).toEqual([]);
  });

  it("judges heartbeats by the database's clock: a host whose own clock runs ahead sees a fresh owner", async () => {
    const { a, b, id } = await setup();
    await a.leases.acquire(id);
    const batchId = randomUUID();
    const hold = await a.leases.holdBatch(batchId);
    onTestFinished(() => hold.release());
    vi.useFakeTimers({ toFake: ['Date'] });
    onTestFinished(() => {
      vi.useRealTimers();
    });
    vi.setSystemTime(Date.now() + STALE_MS * 100);

    await expect(b.leases.acquire(id)).rejects.toBeInstanceOf(SagaOwnedError);
    expect(await b.leases.liveOwner(id)).toMatchObject({ pid: 101, host: 'bastion-a' });
    expect(await b.leases.batchHolder(batchId)).toMatchObject({ pid: 101, host: 'bastion-a' });
  });
});
