import { describe, expect, it } from 'vitest';
import { checkInvariants, type CheckedSaga, type CheckedWorld } from '../../tools/chaos/invariants.js';
import type { StepRecord } from '../../src/engine/types.js';
import { volumeSnapshotName } from '../../src/sagas/snapshot/volume-naming.js';

const SAGA = 'bbbbbbb1-0000-4000-8000-000000000001';
const VOL = 'cccccccc-0000-4000-8000-000000000001';
const NAME = volumeSnapshotName(1001, SAGA, VOL);
const SNAP = `arcadia-snap-1001-${SAGA.slice(0, 8)}`;

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

function saga(status: CheckedSaga['status'], context: CheckedSaga['context'] = {}): CheckedSaga {
  const stepNames = ['create_droplet_snapshot', 'create_volume_snapshots', 'copy_snapshot_to_regions'];
  const stepStatus = status === 'succeeded' ? 'succeeded' : 'compensated';
  return {
    id: SAGA,
    kind: 'snapshot',
    status,
    stepNames,
    context: { __inputs__: { droplet_provider_id: 1001, copy_to: ['ams3'] }, volume_ids: [VOL], ...context },
    steps: stepNames.map((name, i) => step(i, name, stepStatus)),
    events: [],
    error: null,
  };
}

function world(extra: Partial<CheckedWorld> = {}): CheckedWorld {
  return {
    snapshots: [
      { id: 11, name: SNAP, dropletId: 1001, createdAt: '2026-11-01T00:00:00Z', deletedAt: null, createdByActionId: 1 },
    ],
    backups: [],
    actions: [],
    volumeSnapshots: [{ id: 'v1', volumeId: VOL, name: NAME, deletedAt: null, createdBy: 'tokens[0]' }],
    imageActions: [{ id: 5, imageId: 11, type: 'transfer', region: 'ams3', status: 'completed' }],
    snapshotRegions: { '11': ['nyc3', 'ams3'] },
    ...extra,
  };
}

const succeeded = (): CheckedSaga =>
  saga('succeeded', { snapshot_id: '11', snapshot_name: SNAP, volume_snapshots: { [VOL]: 'v1' } });
const rules = (sagas: CheckedSaga[], w: CheckedWorld): string[] => checkInvariants(sagas, w).map((v) => v.rule);

describe('the chaos invariants for volume snapshots and copies', () => {
  it('find nothing wrong when every promise holds', () => {
    expect(checkInvariants([succeeded()], world())).toEqual([]);
  });

  it('catch two snapshots of one volume in one saga, a missing one and a wrong recorded id', () => {
    const two = world({
      volumeSnapshots: [
        { id: 'v1', volumeId: VOL, name: NAME, deletedAt: null, createdBy: 'tokens[0]' },
        { id: 'v2', volumeId: VOL, name: NAME, deletedAt: '2026-11-01T00:00:00Z', createdBy: 'tokens[0]' },
      ],
    });
    expect(rules([succeeded()], two)).toEqual(['duplicate']);
    expect(rules([succeeded()], world({ volumeSnapshots: [] }))).toEqual(['missing']);
    const wrong = saga('succeeded', { snapshot_id: '11', snapshot_name: SNAP, volume_snapshots: { [VOL]: 'v9' } });
    expect(rules([wrong], world())).toEqual(['wrong-id']);
  });

  it('catch a volume snapshot left by a rolled-back saga, one with no saga, and a foreign one deleted', () => {
    const rolledBack = saga('rolled_back');
    const gone = { snapshots: [{ ...world().snapshots[0]!, deletedAt: '2026-11-01T00:00:00Z' }] };
    expect(rules([rolledBack], world({ ...gone, imageActions: [] }))).toEqual(['leak']);
    expect(rules([], world({ snapshots: [], imageActions: [] }))).toEqual(['leak']);
    const foreign = [
      { id: 'v7', volumeId: VOL, name: 'hand-made', deletedAt: '2026-11-01T00:00:00Z', createdBy: null },
    ];
    expect(rules([succeeded()], world({ volumeSnapshots: [...world().volumeSnapshots!, ...foreign] }))).toEqual([
      'foreign-delete',
    ]);
  });

  it('catch a duplicate transfer, a transfer left running and a copy that is missing', () => {
    const twice = [
      { id: 5, imageId: 11, type: 'transfer', region: 'ams3', status: 'completed' as const },
      { id: 6, imageId: 11, type: 'transfer', region: 'ams3', status: 'completed' as const },
    ];
    expect(rules([succeeded()], world({ imageActions: twice }))).toEqual(['duplicate']);
    const errored = [{ ...twice[0]!, status: 'errored' as const }, twice[1]!];
    expect(rules([succeeded()], world({ imageActions: errored }))).toEqual([]);
    const running = [{ ...twice[0]!, status: 'in-progress' as const }];
    expect(rules([succeeded()], world({ imageActions: running }))).toEqual(['running-action']);
    expect(rules([succeeded()], world({ snapshotRegions: { '11': ['nyc3'] } }))).toEqual(['missing']);
  });
});
