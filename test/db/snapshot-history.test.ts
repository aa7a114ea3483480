import { describe, expect, it } from 'vitest';
import { ledgerBackends, type LedgerBackend } from '../helpers/ledger-backends.js';
import { newSaga } from '../helpers/ledger.js';

async function ledgerWithHistory(
  backend: LedgerBackend,
  rows: { droplet: number; disk?: number; ms: number; status?: string; at: number }[],
) {
  const t = await backend.open();
  for (const row of rows) {
    const inputs = {
      droplet_provider_id: row.droplet,
      ...(row.disk !== undefined ? { disk_gigabytes: row.disk } : {}),
    };
    const { id } = await t.ledger.createSaga(
      newSaga({ kind: 'snapshot', stepNames: ['create_droplet_snapshot'], inputs }),
      row.at,
    );
    await t.setSaga(id, { status: row.status ?? 'succeeded' });
    await t.mergeContext(id, { snapshot_action_ms: row.ms });
  }
  return t.ledger;
}

describe.each(ledgerBackends())('snapshot history on $name: how long earlier snapshots took', (backend) => {
  it("gives the droplet's own succeeded snapshots, newest first, not others' nor unfinished", async () => {
    const ledger = await ledgerWithHistory(backend, [
      { droplet: 1, disk: 25, ms: 100, at: 1 },
      { droplet: 2, disk: 25, ms: 900, at: 2 },
      { droplet: 1, disk: 25, ms: 300, at: 3 },
      { droplet: 1, disk: 25, ms: 700, at: 4, status: 'rolled_back' },
    ]);
    expect(await ledger.snapshotDurations(1, 25)).toEqual([300, 100]);
  });

  it('for a droplet with none of its own, gives those of a similar disk (within 1.25x), not others', async () => {
    const ledger = await ledgerWithHistory(backend, [
      { droplet: 1, disk: 25, ms: 100, at: 1 },
      { droplet: 2, disk: 30, ms: 200, at: 2 },
      { droplet: 3, disk: 160, ms: 5000, at: 3 },
      { droplet: 4, ms: 7000, at: 4 }, // disk unknown (saga start with bare inputs)
    ]);
    expect(await ledger.snapshotDurations(9, 25)).toEqual([200, 100]);
    expect(await ledger.snapshotDurations(9, 160)).toEqual([5000]);
    expect(await ledger.snapshotDurations(9, 80)).toEqual([]);
    expect(await ledger.snapshotDurations(9)).toEqual([]);
  });
});
