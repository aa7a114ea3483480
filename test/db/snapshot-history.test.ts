import { describe, expect, it, onTestFinished } from 'vitest';
import { openTestLedger, newSaga } from '../helpers/ledger.js';
import { tempHome } from '../helpers/temp-home.js';

function ledgerWithHistory(rows: { droplet: number; disk?: number; ms: number; status?: string; at: number }[]) {
  const t = openTestLedger(tempHome().home);
  onTestFinished(() => t.close());
  for (const row of rows) {
    const inputs = {
      droplet_provider_id: row.droplet,
      ...(row.disk !== undefined ? { disk_gigabytes: row.disk } : {}),
    };
    const { id } = t.core.createSaga(
      newSaga({ kind: 'snapshot', stepNames: ['create_droplet_snapshot'], inputs }),
      row.at,
    );
    t.db
      .prepare(`UPDATE saga_runs SET status = ?, context = json_set(context, '$.snapshot_action_ms', ?) WHERE id = ?`)
      .run(row.status ?? 'succeeded', row.ms, id);
  }
  return t.ledger;
}

describe('snapshot history: how long earlier snapshots took', () => {
  it(
    "gives the droplet's own succeeded snapshots, newest first, " + 'ignoring other droplets and unfinished sagas',
    async () => {
      const ledger = ledgerWithHistory([
        { droplet: 1, disk: 25, ms: 100, at: 1 },
        { droplet: 2, disk: 25, ms: 900, at: 2 },
        { droplet: 1, disk: 25, ms: 300, at: 3 },
        { droplet: 1, disk: 25, ms: 700, at: 4, status: 'rolled_back' },
      ]);
      expect(await ledger.snapshotDurations(1, 25)).toEqual([300, 100]);
    },
  );

  it(
    'for a droplet with none of its own, gives those of droplets with a similar ' + 'disk (within 1.25x), not others',
    async () => {
      const ledger = ledgerWithHistory([
        { droplet: 1, disk: 25, ms: 100, at: 1 },
        { droplet: 2, disk: 30, ms: 200, at: 2 },
        { droplet: 3, disk: 160, ms: 5000, at: 3 },
        { droplet: 4, ms: 7000, at: 4 }, // disk unknown (saga start with bare inputs)
      ]);
      expect(await ledger.snapshotDurations(9, 25)).toEqual([200, 100]);
      expect(await ledger.snapshotDurations(9, 160)).toEqual([5000]);
      expect(await ledger.snapshotDurations(9, 80)).toEqual([]);
      expect(await ledger.snapshotDurations(9)).toEqual([]);
    },
  );
});
