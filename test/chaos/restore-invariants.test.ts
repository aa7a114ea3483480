import { describe, expect, it } from 'vitest';
import type { StepRecord } from '../../src/engine/types.js';
import { checkInvariants, type CheckedSaga, type CheckedWorld } from '../../tools/chaos/invariants.js';
import type { CheckedDroplet } from '../../tools/chaos/restore-invariants.js';

const SAGA = 'dddddddd-0000-4000-8000-000000000001';
const RESTORE_STEPS = ['create_droplet_from_snapshot', 'wait_droplet_active'];
const DRILL_STEPS = [...RESTORE_STEPS, 'delete_restored_droplet'];

function step(idx: number, name: string, status: StepRecord['status']): StepRecord {
  const compensatedAt = status === 'compensated' ? 3000 - idx : null;
  return {
    idx,
    name,
    status,
    attempts: 1,
    startedAt: 1000 + idx * 10,
    finishedAt: 1005 + idx * 10,
    compensatedAt,
    error: null,
  };
}

function saga(
  kind: 'restore' | 'drill',
  status: CheckedSaga['status'],
  context: CheckedSaga['context'] = {},
): CheckedSaga {
  const stepNames = kind === 'drill' ? DRILL_STEPS : RESTORE_STEPS;
  const stepStatus = status === 'succeeded' ? 'succeeded' : 'compensated';
  return {
    id: SAGA,
    kind,
    status,
    stepNames,
    context: { __inputs__: { snapshot_id: '150000001', source_droplet_id: 1001 }, ...context },
    steps: stepNames.map((name, i) => step(i, name, stepStatus)),
    events: [],
    error: null,
  };
}

function droplet(id: number, partial: Partial<CheckedDroplet> = {}): CheckedDroplet {
  return {
    id,
    name: `arcadia-restore-${id}`,
    tags: [`arcadia-saga-${SAGA}`],
    createdBy: 'token-1',
    deletedAt: null,
    ...partial,
  };
}

const SEEDED: CheckedDroplet = { id: 1001, name: 'web-1', tags: ['web'], createdBy: null, deletedAt: null };

function world(dropletHistory: CheckedDroplet[]): CheckedWorld {
  return { snapshots: [], backups: [], actions: [], dropletHistory: [SEEDED, ...dropletHistory] };
}

function rules(sagas: CheckedSaga[], w: CheckedWorld): string[] {
  return checkInvariants(sagas, w).map((v) => `${v.rule}: ${v.message}`);
}

const DELETED = '2026-12-01T10:00:00Z';

describe('chaos invariants of restores and drills', () => {
  it('pass a succeeded restore with its one recorded droplet, a finished drill, a rolled-back restore', () => {
    expect(rules([saga('restore', 'succeeded', { restore_droplet_id: 7 })], world([droplet(7)]))).toEqual([]);
    const drilled = saga('drill', 'succeeded', { restore_droplet_id: 7, active_after_ms: 900 });
    expect(rules([drilled], world([droplet(7, { deletedAt: DELETED })]))).toEqual([]);
    expect(rules([saga('restore', 'rolled_back')], world([droplet(7, { deletedAt: DELETED })]))).toEqual([]);
    expect(rules([saga('drill', 'rolled_back')], world([]))).toEqual([]);
  });

  it('find a second droplet made by one saga, even a deleted one', () => {
    const found = rules(
      [saga('restore', 'succeeded', { restore_droplet_id: 7 })],
      world([droplet(7), droplet(8, { deletedAt: DELETED })]),
    );
    expect(found).toEqual([`duplicate: restore saga ${SAGA} (succeeded) made 2 droplets (7, 8)`]);
  });

  it('find a succeeded restore without its droplet, or with another than it recorded', () => {
    expect(rules([saga('restore', 'succeeded', { restore_droplet_id: 7 })], world([]))).toEqual([
      `missing: succeeded restore ${SAGA} has no droplet (recorded 7)`,
    ]);
    expect(rules([saga('restore', 'succeeded', { restore_droplet_id: 7 })], world([droplet(9)]))).toEqual([
      `wrong-id: succeeded restore ${SAGA} recorded droplet 7, the provider has 9`,
    ]);
  });

  it('find a droplet left by a rolled-back or cancelled restore, or by any finished drill', () => {
    expect(rules([saga('restore', 'cancelled')], world([droplet(7)]))).toEqual([
      `leak: cancelled restore ${SAGA} left droplet(s) 7 running`,
    ]);
    const drilled = saga('drill', 'succeeded', { restore_droplet_id: 7, active_after_ms: 900 });
    expect(rules([drilled], world([droplet(7)]))).toEqual([
      `leak: finished drill ${SAGA} (succeeded) left droplet(s) 7 running`,
    ]);
  });

  it('find a succeeded drill that restored nothing, and a tagged droplet no saga in the ledger has', () => {
    expect(rules([saga('drill', 'succeeded')], world([]))).toEqual([
      `missing: succeeded drill ${SAGA} never made a droplet`,
      `missing: succeeded drill ${SAGA} recorded no time to active`,
    ]);
    expect(rules([], world([droplet(7)]))).toEqual([
      `leak: droplet(s) 7 tagged by saga ${SAGA}, unknown to the ledger`,
    ]);
  });

  it('find a deleted droplet arcadia did not make: seeded, or tagged by no saga of the ledger', () => {
    const gone = world([droplet(7, { deletedAt: DELETED, tags: ['web'] })]);
    gone.dropletHistory?.splice(0, 1, { ...SEEDED, deletedAt: DELETED });
    expect(rules([], gone)).toEqual([
      'foreign-delete: droplet 1001 "web-1" was deleted, and no saga of arcadia made it',
      'foreign-delete: droplet 7 "arcadia-restore-7" was deleted, and no saga of arcadia made it',
    ]);
  });

  it('leave the leftovers of a compensation_failed saga to needs-attention', () => {
    const failed = { ...saga('restore', 'compensation_failed'), error: 'delete refused' };
    expect(rules([failed], world([droplet(7)]))).toEqual([
      `needs-attention: saga ${SAGA} (restore) ended compensation_failed: delete refused`,
    ]);
  });
});
