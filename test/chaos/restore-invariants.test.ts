import { describe, expect, it } from 'vitest';
import type { CheckedSaga } from '../../tools/chaos/invariants.js';
import { checkRestores, type CheckedRestoreWorld } from '../../tools/chaos/restore-invariants.js';

const RESTORE_ID = '11111111-1111-4111-8111-111111111111';
const DRILL_ID = '22222222-2222-4222-8222-222222222222';
const STEPS = ['create_droplet_from_snapshot', 'wait_droplet_active'];

function saga(id: string, kind: string, status: CheckedSaga['status'], context = {}): CheckedSaga {
  const stepNames = kind === 'drill' ? [...STEPS, 'delete_restored_droplet'] : STEPS;
  return { id, kind, status, stepNames, context, steps: [], error: null, events: [] };
}

type Droplet = CheckedRestoreWorld['dropletHistory'][number];

function droplet(id: number, sagaId: string | null, deletedAt: string | null = null): Droplet {
  return {
    id,
    name: `d-${id}`,
    tags: sagaId === null ? ['web'] : [`arcadia-saga-${sagaId}`],
    createdBy: sagaId === null ? null : 'tokens[0]',
    deletedAt,
  };
}

const BYSTANDER = droplet(1, null);
const rules = (sagas: CheckedSaga[], droplets: Droplet[]) =>
  checkRestores(sagas, { dropletHistory: [BYSTANDER, ...droplets] }).map((v) => v.rule);

describe('checkRestores on fabricated worlds', () => {
  it('finds nothing wrong with a kept restore and a finished drill', () => {
    const sagas = [
      saga(RESTORE_ID, 'restore', 'succeeded', { restore_droplet_id: 10 }),
      saga(DRILL_ID, 'drill', 'succeeded'),
    ];
    expect(rules(sagas, [droplet(10, RESTORE_ID), droplet(11, DRILL_ID, '2026-01-01T00:00:00Z')])).toEqual([]);
  });

  const broken: [string, CheckedSaga[], Droplet[], string[]][] = [
    [
      'a second droplet of one restore',
      [saga(RESTORE_ID, 'restore', 'succeeded', { restore_droplet_id: 10 })],
      [droplet(10, RESTORE_ID), droplet(12, RESTORE_ID, '2026-01-01T00:00:00Z')],
      ['duplicate'],
    ],
    ['a succeeded restore without its droplet', [saga(RESTORE_ID, 'restore', 'succeeded')], [], ['missing']],
    [
      'a restore that recorded another droplet',
      [saga(RESTORE_ID, 'restore', 'succeeded', { restore_droplet_id: 9 })],
      [droplet(10, RESTORE_ID)],
      ['wrong-id'],
    ],
    [
      'a rolled-back restore that left its droplet',
      [saga(RESTORE_ID, 'restore', 'rolled_back')],
      [droplet(10, RESTORE_ID)],
      ['leak'],
    ],
    [
      'a finished drill that left its droplet',
      [saga(DRILL_ID, 'drill', 'succeeded')],
      [droplet(11, DRILL_ID)],
      ['leak'],
    ],
    ['an unfinished restore', [saga(RESTORE_ID, 'restore', 'running')], [], ['unfinished']],
    ['a restore needing attention', [saga(RESTORE_ID, 'restore', 'compensation_failed')], [], ['needs-attention']],
    ['a droplet of a saga the ledger lacks', [], [droplet(13, DRILL_ID)], ['leak']],
  ];
  for (const [what, sagas, droplets, expected] of broken) {
    it(`reports ${what}`, () => {
      expect(rules(sagas, droplets)).toEqual(expected);
    });
  }

  it('reports a deleted droplet no restoring saga made, a bystander or a look-alike', () => {
    const world = {
      dropletHistory: [
        { ...BYSTANDER, deletedAt: '2026-01-01T00:00:00Z' },
        { ...droplet(14, DRILL_ID, '2026-01-01T00:00:00Z'), createdBy: null },
      ],
    };
    expect(checkRestores([saga(DRILL_ID, 'drill', 'succeeded')], world).map((v) => v.rule)).toEqual([
      'foreign-delete',
      'foreign-delete',
    ]);
  });
});
