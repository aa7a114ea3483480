import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_SIMULATOR_TOKEN } from '../../src/simulator/index.js';
import type { LeakedRestore } from '../../src/output/views/reconcile-view.js';
import { withLedger } from '../helpers/ledger.js';
import { arcadia, FAST_SIMULATOR, sandbox, type Sandbox } from './harness.js';

const SNAPSHOT_ID = 901;
const RESTORE_STEPS = ['create_droplet_from_snapshot', 'wait_droplet_active'];
const DRILL_STEPS = [...RESTORE_STEPS, 'delete_restored_droplet'];

let box: Sandbox;

beforeAll(async () => {
  box = await sandbox({
    ...FAST_SIMULATOR,
    droplets: [
      {
        id: 1001,
        name: 'web-1',
        tags: ['web'],
        disk: 25,
        snapshots: [{ id: SNAPSHOT_ID, name: 'web-1-golden', regions: ['nyc3'], minDiskSize: 25 }],
      },
      { id: 1002, name: 'web-2', tags: ['web'] },
    ],
    dropletCreateMs: 100,
    createdDropletNotFoundMs: 0,
  });
});
afterAll(async () => {
  await box.cleanup();
});

/** A saga as a finished run leaves it, with the context its restore steps recorded. */
function recordSaga(kind: 'restore' | 'drill', status: string, context: Record<string, unknown>): string {
  const id = randomUUID();
  withLedger(box.home, ({ core: ledger, db }) => {
    const inputs = {
      snapshot_id: String(SNAPSHOT_ID),
      droplet_name: `arcadia-${kind}-x`,
      size_slug: 's-1vcpu-1gb',
      region: 'nyc3',
      tags: [],
      ...(kind === 'drill' ? { source_droplet_id: 1001 } : {}),
    };
    const stepNames = kind === 'drill' ? DRILL_STEPS : RESTORE_STEPS;
    ledger.createSaga({ id, kind, stepNames, inputs, triggeredBy: 't', deploymentId: null, batchId: null }, Date.now());
    db.prepare(`UPDATE saga_runs SET status = ?, context = json_patch(context, ?) WHERE id = ?`).run(
      status,
      JSON.stringify(context),
      id,
    );
  });
  return id;
}

/** A droplet made from the snapshot through the API, as the saga's create step would make it. */
async function createDroplet(name: string, sagaId: string): Promise<number> {
  const reply = await fetch(`${box.sim.url}/v2/droplets`, {
    method: 'POST',
    headers: { authorization: `Bearer ${DEFAULT_SIMULATOR_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      name,
      size: 's-1vcpu-1gb',
      image: SNAPSHOT_ID,
      region: 'nyc3',
      tags: [`arcadia-saga-${sagaId}`],
    }),
  });
  expect(reply.status).toBe(202);
  return ((await reply.json()) as { droplet: { id: number } }).droplet.id;
}

interface Report {
  leakedRestores: LeakedRestore[];
  restoresMonthlyCostUsd: number;
  deletedDroplets: number[];
  sagaId: string | null;
}

async function reconcile(args: string[]): Promise<{ code: number | null; report: Report }> {
  const result = await arcadia(['reconcile', ...args, '--json'], box.env);
  return { code: result.code, report: JSON.parse(result.stdout) as Report };
}

function alive(id: number): boolean {
  return box.sim.state().dropletHistory.some((d) => d.id === id && d.deletedAt === null);
}

let drillLeak: number;
let unknownLeak: number;
let kept: number;
let unknownSaga: string;
let drillSaga: string;

describe('reconcile: leaked restores', () => {
  beforeAll(async () => {
    drillSaga = recordSaga('drill', 'succeeded', { restore_name: 'arcadia-drill-leak' });
    drillLeak = await createDroplet('arcadia-drill-leak', drillSaga);
    const restored = recordSaga('restore', 'succeeded', { restore_name: 'arcadia-restore-kept' });
    kept = await createDroplet('arcadia-restore-kept', restored);
    withLedger(box.home, ({ db }) =>
      db
        .prepare(`UPDATE saga_runs SET context = json_patch(context, ?) WHERE id = ?`)
        .run(JSON.stringify({ restore_droplet_id: kept }), restored),
    );
    unknownSaga = randomUUID();
    unknownLeak = await createDroplet('arcadia-restore-elsewhere', unknownSaga);
  });

  it('lists tagged droplets no live saga accounts for, with their monthly cost, and exits 5', async () => {
    const { code, report } = await reconcile([]);
    expect(code).toBe(5);
    expect(report.leakedRestores.map((l) => [l.dropletId, l.sagaId, l.deletable, l.monthlyCostUsd])).toEqual([
      [drillLeak, drillSaga, true, 6],
      [unknownLeak, unknownSaga, false, 6],
    ]);
    expect(report.leakedRestores[0]?.reason).toBe('drill succeeded: its temporary droplet should be gone');
    expect(report.leakedRestores[0]?.sourceDropletId).toBe(1001);
    expect(report.restoresMonthlyCostUsd).toBe(12);
  });

  it("with droplet ids, only leaks of restores of those droplets' snapshots", async () => {
    expect((await reconcile(['1001'])).report.leakedRestores.map((l) => l.dropletId)).toEqual([drillLeak]);
    expect((await reconcile(['1002'])).report.leakedRestores).toEqual([]);
  });

  it('the table on a pipe says which --delete may remove', async () => {
    const result = await arcadia(['reconcile'], box.env);
    expect(result.code).toBe(5);
    expect(result.stdout).toContain(
      '2 leaked restore droplet(s), $12.00 a month; delete the 1 arcadia may remove with --delete',
    );
    expect(result.stdout).toContain('never (see why)');
  });

  it(
    '--delete removes only the leak of a finished saga of this ' +
      'ledger, as a recorded saga; exit 5 while one is left',
    async () => {
      const { code, report } = await reconcile(['--delete']);
      expect(code).toBe(5);
      expect(report.deletedDroplets).toEqual([drillLeak]);
      expect(report.sagaId).not.toBeNull();
      expect(alive(drillLeak)).toBe(false);
      expect(alive(unknownLeak)).toBe(true);
      expect(alive(kept)).toBe(true);
      const deleted = box.sim.state().dropletHistory.filter((d) => d.deletedAt !== null);
      expect(deleted.map((d) => d.id)).toEqual([drillLeak]);
      const again = await reconcile([]);
      expect(again.report.leakedRestores.map((l) => l.dropletId)).toEqual([unknownLeak]);
    },
  );
});
