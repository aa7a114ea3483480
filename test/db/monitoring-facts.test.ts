import { describe, expect, it, onTestFinished } from 'vitest';
import type { Json } from '../../src/engine/types.js';
import { ledgerBackends, type BackendLedger } from '../helpers/ledger-backends.js';
import { newSaga, openTestLedger } from '../helpers/ledger.js';
import { tempHome } from '../helpers/temp-home.js';

/** A saga as a finished run leaves it: its status, its time and outputs merged into its context. */
async function record(
  t: BackendLedger,
  saga: { kind: string; inputs: Record<string, Json>; status: string; at: number; outputs?: Record<string, Json> },
): Promise<string> {
  const steps = saga.kind === 'reconcile' ? ['delete_leaked_snapshots'] : ['create_droplet_snapshot'];
  const { id } = await t.ledger.createSaga(
    newSaga({ kind: saga.kind, stepNames: steps, inputs: saga.inputs }),
    saga.at,
  );
  await t.setSaga(id, { status: saga.status, updatedAt: saga.at });
  await t.mergeContext(id, saga.outputs ?? {});
  return id;
}

describe.each(ledgerBackends())("the ledger's facts for monitoring on $name", (backend) => {
  it('gives succeeded snapshot sagas newest first, "" as the name of sagas from before names', async () => {
    const t = await backend.open();
    const old = await record(t, {
      kind: 'snapshot',
      inputs: { droplet_provider_id: 7 },
      status: 'succeeded',
      at: 1_000,
    });
    const named = await record(t, {
      kind: 'snapshot',
      inputs: { droplet_provider_id: 7, droplet_name: 'db-1' },
      status: 'succeeded',
      at: 2_000,
      outputs: { snapshot_id: '70', snapshot_size_gigabytes: 3, pruned_snapshot_ids: ['60'] },
    });
    await record(t, { kind: 'snapshot', inputs: { droplet_provider_id: 7 }, status: 'rolled_back', at: 3_000 });
    const facts = await t.ledger.monitoringFacts();
    expect(facts.succeeded.map((s) => [s.sagaId, s.dropletName, s.snapshotId, s.sizeGigabytes, s.finishedAt])).toEqual([
      [named, 'db-1', '70', 3, 2_000],
      [old, '', null, null, 1_000],
    ]);
    expect([...facts.deletedSnapshotIds]).toEqual(['60']);
    expect(facts.leakedSnapshots).toBeNull();
  });

  it("counts the newest reconcile's leaks that no deletion removed since, a plain reconcile's too", async () => {
    const t = await backend.open();
    await t.ledger.recordReconcileReport(1_000, 'all', ['x']);
    await t.ledger.recordReconcileReport(2_000, 'tag:web', ['a', 'b', 'c']);
    expect((await t.ledger.monitoringFacts()).leakedSnapshots).toBe(3);
    // Its --delete saga removed one before it failed: two are left.
    const outputs = { deleted_snapshot_ids: ['a'] };
    await record(t, {
      kind: 'reconcile',
      inputs: { snapshot_ids: ['a', 'b', 'c'] },
      status: 'rolled_back',
      at: 2_001,
      outputs,
    });
    const facts = await t.ledger.monitoringFacts();
    expect(facts.leakedSnapshots).toBe(2);
    expect([...facts.deletedSnapshotIds].sort()).toEqual(['a']);
    // A newer reconcile that found nothing: no leaks, whatever the older one said.
    await t.ledger.recordReconcileReport(3_000, 'all', []);
    expect((await t.ledger.monitoringFacts()).leakedSnapshots).toBe(0);
  });

  it('skips a saga whose droplet id is not a number instead of failing the whole read', async () => {
    const t = await backend.open();
    await record(t, { kind: 'snapshot', inputs: { droplet_provider_id: 'seven' }, status: 'succeeded', at: 1_000 });
    await record(t, { kind: 'snapshot', inputs: { droplet_provider_id: 8 }, status: 'succeeded', at: 2_000 });
    expect((await t.ledger.monitoringFacts()).succeeded.map((s) => s.dropletId)).toEqual([8]);
  });
});

// Only SQLite can hold a context that is not JSON at all: PostgreSQL's jsonb column refuses one.
describe("the SQLite ledger's facts for monitoring", () => {
  it('skips a damaged context instead of failing the whole read', async () => {
    const t = openTestLedger(tempHome().home);
    onTestFinished(() => t.close());
    const first = t.core.createSaga(newSaga({ kind: 'snapshot', stepNames: ['create_droplet_snapshot'] }), 1);
    t.db.prepare(`UPDATE saga_runs SET status = 'succeeded', context = '{not json' WHERE id = ?`).run(first.id);
    const inputs = { droplet_provider_id: 8 };
    const second = t.core.createSaga(newSaga({ kind: 'snapshot', stepNames: ['create_droplet_snapshot'], inputs }), 2);
    t.db.prepare(`UPDATE saga_runs SET status = 'succeeded' WHERE id = ?`).run(second.id);
    expect(t.core.monitoringFacts().succeeded.map((s) => s.dropletId)).toEqual([8]);
  });
});
