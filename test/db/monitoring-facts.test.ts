import { describe, expect, it, onTestFinished } from 'vitest';
import type { Json } from '../../src/engine/types.js';
import { newSaga, openTestLedger, type TestLedger } from '../helpers/ledger.js';
import { tempHome } from '../helpers/temp-home.js';

function testLedger(): TestLedger {
  const t = openTestLedger(tempHome().home);
  onTestFinished(() => t.close());
  return t;
}

/** A saga as a finished run leaves it: its status, its time and outputs merged into its context. */
function record(
  t: TestLedger,
  saga: { kind: string; inputs: Record<string, Json>; status: string; at: number; outputs?: Record<string, Json> },
): string {
  const steps = saga.kind === 'reconcile' ? ['delete_leaked_snapshots'] : ['create_droplet_snapshot'];
  const { id } = t.core.createSaga(newSaga({ kind: saga.kind, stepNames: steps, inputs: saga.inputs }), saga.at);
  t.db
    .prepare(`UPDATE saga_runs SET status = ?, updated_at = ?, context = json_patch(context, ?) WHERE id = ?`)
    .run(saga.status, saga.at, JSON.stringify(saga.outputs ?? {}), id);
  return id;
}

describe("the ledger's facts for monitoring", () => {
  it(
    'gives succeeded snapshot sagas newest first, "" as the name ' + 'of sagas from before names were recorded',
    async () => {
      const t = testLedger();
      const old = record(t, { kind: 'snapshot', inputs: { droplet_provider_id: 7 }, status: 'succeeded', at: 1_000 });
      const named = record(t, {
        kind: 'snapshot',
        inputs: { droplet_provider_id: 7, droplet_name: 'db-1' },
        status: 'succeeded',
        at: 2_000,
        outputs: { snapshot_id: '70', snapshot_size_gigabytes: 3, pruned_snapshot_ids: ['60'] },
      });
      record(t, { kind: 'snapshot', inputs: { droplet_provider_id: 7 }, status: 'rolled_back', at: 3_000 });
      const facts = await t.ledger.monitoringFacts();
      expect(
        facts.succeeded.map((s) => [s.sagaId, s.dropletName, s.snapshotId, s.sizeGigabytes, s.finishedAt]),
      ).toEqual([
        [named, 'db-1', '70', 3, 2_000],
        [old, '', null, null, 1_000],
      ]);
      expect([...facts.deletedSnapshotIds]).toEqual(['60']);
      expect(facts.leakedSnapshots).toBeNull();
    },
  );

  it("counts the newest reconcile's leaks that no deletion removed since, a plain reconcile's too", async () => {
    const t = testLedger();
    await t.ledger.recordReconcileReport(1_000, 'all', ['x']);
    await t.ledger.recordReconcileReport(2_000, 'tag:web', ['a', 'b', 'c']);
    expect((await t.ledger.monitoringFacts()).leakedSnapshots).toBe(3);
    // Its --delete saga removed one before it failed: two are left.
    const outputs = { deleted_snapshot_ids: ['a'] };
    record(t, {
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

  it('skips a damaged context instead of failing the whole read', async () => {
    const t = testLedger();
    const id = record(t, { kind: 'snapshot', inputs: { droplet_provider_id: 7 }, status: 'succeeded', at: 1_000 });
    t.db.prepare(`UPDATE saga_runs SET context = '{not json' WHERE id = ?`).run(id);
    record(t, { kind: 'snapshot', inputs: { droplet_provider_id: 8 }, status: 'succeeded', at: 2_000 });
    expect((await t.ledger.monitoringFacts()).succeeded.map((s) => s.dropletId)).toEqual([8]);
  });
});
