import { describe, expect, it } from 'vitest';
import {
  leakedRestoreVerdict,
  sagaIdsOfTags,
  type TaggedDroplet,
  type TaggingSaga,
} from '../../../src/cli/commands/reconcile/leaked-restores.js';
import type { SagaStatus } from '../../../src/engine/types.js';

const SAGA_AT = Date.parse('2026-12-01T10:00:00Z');
const ID = '0b9d8c6e-1111-4222-8333-444455556666';

function droplet(partial: Partial<TaggedDroplet> = {}): TaggedDroplet {
  return {
    id: 501,
    name: 'arcadia-restore-0b9d8c6e',
    tags: [`arcadia-saga-${ID}`],
    createdAt: '2026-12-01T10:00:03Z',
    ...partial,
  };
}

function saga(kind: string, status: SagaStatus, partial: Partial<TaggingSaga> = {}): TaggingSaga {
  const base = { id: ID, kind, status, createdAt: SAGA_AT, restoredDropletId: 501 };
  return { ...base, restoreName: 'arcadia-restore-0b9d8c6e', ...partial };
}

const only =
  (s: TaggingSaga | undefined) =>
  (id: string): TaggingSaga | undefined =>
    id === ID ? s : undefined;

describe('leaked restores: which tagged droplets no live saga accounts for', () => {
  it('reads saga ids from arcadia-saga-* tags only', () => {
    expect(sagaIdsOfTags(['web', `arcadia-saga-${ID}`, 'arcadia-saga-', 'arcadia-sagas'])).toEqual([ID]);
  });

  it('leaves untagged droplets, in-flight sagas and the droplet of a succeeded restore alone', () => {
    expect(leakedRestoreVerdict(droplet({ tags: ['web'] }), only(undefined))).toBeNull();
    for (const status of ['pending', 'running', 'compensating'] as const) {
      expect(leakedRestoreVerdict(droplet(), only(saga('restore', status)))).toBeNull();
      expect(leakedRestoreVerdict(droplet(), only(saga('drill', status)))).toBeNull();
    }
    expect(leakedRestoreVerdict(droplet(), only(saga('restore', 'succeeded')))).toBeNull();
  });

  it.each([
    ['restore', 'rolled_back', 'restore rolled_back: it should have left no droplet'],
    ['restore', 'cancelled', 'restore cancelled: it should have left no droplet'],
    ['restore', 'compensation_failed', 'restore compensation_failed: it should have left no droplet'],
    ['drill', 'succeeded', 'drill succeeded: its temporary droplet should be gone'],
    ['drill', 'rolled_back', 'drill rolled_back: its temporary droplet should be gone'],
    ['drill', 'cancelled', 'drill cancelled: its temporary droplet should be gone'],
  ] as const)('a %s saga %s that left a droplet: a leak that --delete may remove', (kind, status, reason) => {
    expect(leakedRestoreVerdict(droplet(), only(saga(kind, status)))).toEqual({ sagaId: ID, reason, deletable: true });
  });

  it('a second droplet of a succeeded restore is a leak; the recorded one is not', () => {
    const second = leakedRestoreVerdict(droplet({ id: 502 }), only(saga('restore', 'succeeded')));
    expect(second).toEqual({
      sagaId: ID,
      reason: 'restore succeeded with droplet 501: this is a second one',
      deletable: true,
    });
  });

  it('a saga unknown to this ledger is reported, never deletable', () => {
    expect(leakedRestoreVerdict(droplet(), only(undefined))).toEqual({
      sagaId: ID,
      reason: 'no saga in this ledger (another arcadia home may own it)',
      deletable: false,
    });
  });

  it('a tag naming a saga that makes no droplets, or several sagas, is reported, never deletable', () => {
    expect(leakedRestoreVerdict(droplet(), only(saga('snapshot', 'succeeded')))).toMatchObject({
      reason: `saga ${ID} is a snapshot saga, which makes no droplets`,
      deletable: false,
    });
    const other = 'ffffffff-1111-4222-8333-444455556666';
    const twice = droplet({ tags: [`arcadia-saga-${ID}`, `arcadia-saga-${other}`] });
    const sagas = (id: string): TaggingSaga | undefined =>
      id === ID || id === other ? saga('drill', 'succeeded', { id }) : undefined;
    expect(leakedRestoreVerdict(twice, sagas)).toMatchObject({ deletable: false });
    // One of them still working on it: accounted for.
    const live = (id: string): TaggingSaga | undefined => (id === other ? saga('drill', 'running', { id }) : sagas(id));
    expect(leakedRestoreVerdict(twice, live)).toBeNull();
  });

  it("a droplet whose name or creation time is not the saga's is reported, never deletable (a copied tag)", () => {
    const renamed = leakedRestoreVerdict(droplet({ name: 'prod-db' }), only(saga('drill', 'succeeded')));
    expect(renamed).toMatchObject({ deletable: false });
    expect(renamed?.reason).toMatch(/name or creation time is not the saga's/);
    const older = leakedRestoreVerdict(
      droplet({ createdAt: '2026-11-30T10:00:00Z' }),
      only(saga('drill', 'succeeded')),
    );
    expect(older).toMatchObject({ deletable: false });
    // Without a recorded name (a crash before the checkpoint) the creation time still has to fit.
    const unnamed = saga('restore', 'rolled_back', { restoreName: null, restoredDropletId: null });
    expect(leakedRestoreVerdict(droplet({ name: 'anything' }), only(unnamed))).toMatchObject({ deletable: true });
  });
});
