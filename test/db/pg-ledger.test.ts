import { sql } from 'drizzle-orm';
import { describe, expect, it, onTestFinished } from 'vitest';
import { LeaseLostError } from '../../src/engine/errors.js';
import { PgSagaLedger } from '../../src/db/pg-ledger.js';
import type { SagaOwner } from '../../src/engine/types.js';
import { newSaga } from '../helpers/ledger.js';
import { createTestDatabase } from '../helpers/postgres.js';

const OWNER: SagaOwner = { pid: 1, host: 'host-a', processStartedAt: null, acquiredAt: 0 };

/** Two hosts on one database: two pools, as two arcadia processes on two machines have. */
async function twoHosts(): Promise<[PgSagaLedger, PgSagaLedger]> {
  const database = await createTestDatabase();
  const hosts = [await PgSagaLedger.open(database.target()), await PgSagaLedger.open(database.target())] as const;
  onTestFinished(async () => {
    for (const host of hosts) await host.close();
  });
  return [hosts[0], hosts[1]];
}

describe('the PostgreSQL ledger shared by several hosts', () => {
  it("serializes two hosts' check-then-create sections: one saga per droplet between them", async () => {
    const [a, b] = await twoHosts();
    const plan = (ledger: PgSagaLedger, host: string) =>
      ledger.exclusive(async (inside) => {
        const existing = await inside.listSagas({ batchId: 'droplet-7' });
        if (existing.length > 0) return `${host} skipped`;
        // Give the other host every chance to slip in between the check and the create.
        await new Promise((resolve) => setTimeout(resolve, 50));
        await inside.createSaga(newSaga({ stepNames: ['noop'], batchId: 'droplet-7', triggeredBy: host }), 1);
        return `${host} created`;
      });
    const outcomes = await Promise.all([plan(a, 'a'), plan(b, 'b'), plan(a, 'a2'), plan(b, 'b2')]);
    expect(outcomes.filter((o) => o.endsWith('created'))).toHaveLength(1);
    expect(await b.listSagas({ batchId: 'droplet-7' })).toHaveLength(1);
  });

  it("orders a takeover entirely after an old owner's step-only write in flight, never between", async () => {
    const [a, b] = await twoHosts();
    const { id } = await a.createSaga(newSaga({ stepNames: ['x'] }), 1);
    expect(await a.claimLease(id, [0], 1, OWNER)).toBe(true);
    // Host a's apply holds the saga row (SELECT ... FOR UPDATE) while host b tries to take the saga over.
    let takeover: Promise<boolean> | undefined;
    await a.transaction(async (tx) => {
      await tx.execute(sql`SELECT lease_epoch FROM saga_runs WHERE id = ${id} FOR UPDATE`);
      takeover = b.claimLease(id, [1], 2, { ...OWNER, host: 'host-b' });
      await new Promise((resolve) => setTimeout(resolve, 100));
      // Still waiting for the row: the epoch a sees is unchanged inside its transaction.
      const rows = await tx.execute<{ lease_epoch: number }>(sql`SELECT lease_epoch FROM saga_runs WHERE id = ${id}`);
      expect(rows.rows[0]?.lease_epoch).toBe(1);
    });
    expect(await takeover).toBe(true);
    await expect(
      a.apply(id, 1, { step: { idx: 0, status: 'running' }, event: { from: 'pending', to: 'running' } }, 2),
    ).rejects.toThrow(LeaseLostError);
    expect((await b.getSaga(id))!.steps[0]!.status).toBe('pending');
  });

  it('keeps event ids increasing across hosts, in the order the events were written', async () => {
    const [a, b] = await twoHosts();
    const { id } = await a.createSaga(newSaga({ stepNames: ['x'] }), 1);
    expect(await a.claimLease(id, [0], 1, OWNER)).toBe(true);
    for (let i = 0; i < 5; i++) {
      await (i % 2 === 0 ? a : b).apply(id, 1, { event: { from: null, to: `e${i}` } }, 10 + i);
    }
    expect((await b.listEvents(id)).map((e) => e.to)).toEqual(['pending', 'e0', 'e1', 'e2', 'e3', 'e4']);
  });
});
