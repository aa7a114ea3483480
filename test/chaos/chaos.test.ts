import { describe, expect, it } from 'vitest';
import { runChaos, summarize } from '../../tools/chaos/chaos.js';
import {
  checkInvariants,
  type CheckedSaga,
  type CheckedWorld,
  type ViolationRule,
} from '../../tools/chaos/invariants.js';
import { parseChaosArgs, ChaosUsageError, LONG_RUNS, SHORT_RUNS, SHORT_SEED } from '../../tools/chaos/options.js';
import { planRun, SCENARIOS } from '../../tools/chaos/plan.js';
import { replayCommand } from '../../tools/chaos/report.js';
import type { RunOutcome } from '../../tools/chaos/run.js';
import type { StepRecord } from '../../src/engine/types.js';

// Saga ids whose first 8 hex digits name their snapshots: arcadia-snap-<droplet>-<hex>.
const OK_ID = 'aaaaaaa1-0000-4000-8000-000000000001';
const DUP_ID = 'aaaaaaa2-0000-4000-8000-000000000002';
const LEAK_ID = 'aaaaaaa3-0000-4000-8000-000000000003';
const STUCK_ID = 'aaaaaaa4-0000-4000-8000-000000000004';
const WRONG_ID = 'aaaaaaa5-0000-4000-8000-000000000005';
const GONE_ID = 'aaaaaaa6-0000-4000-8000-000000000006';
const DISORDER_ID = 'aaaaaaa7-0000-4000-8000-000000000007';
const RUNNING_ID = 'aaaaaaa8-0000-4000-8000-000000000008';

function step(idx: number, name: string, status: StepRecord['status'], times: Partial<StepRecord> = {}): StepRecord {
  return {
    idx,
    name,
    status,
    attempts: 1,
    startedAt: 1000 + idx * 10,
    finishedAt: 1005 + idx * 10,
    compensatedAt: null,
    error: null,
    ...times,
  };
}

function snapshotSaga(
  id: string,
  dropletId: number,
  status: CheckedSaga['status'],
  extra: Partial<CheckedSaga> = {},
): CheckedSaga {
  const succeeded = status === 'succeeded';
  return {
    id,
    kind: 'snapshot',
    status,
    stepNames: ['create_droplet_snapshot'],
    context: { __inputs__: { droplet_provider_id: dropletId } },
    steps: [
      step(
        0,
        'create_droplet_snapshot',
        succeeded ? 'succeeded' : status === 'rolled_back' ? 'compensated' : 'running',
        succeeded ? {} : { compensatedAt: 2000 },
      ),
    ],
    events: [],
    error: null,
    ...extra,
  };
}

function image(
  id: number,
  name: string,
  dropletId: number,
  extra: Partial<CheckedWorld['snapshots'][number]> = {},
): CheckedWorld['snapshots'][number] {
  return {
    id,
    name,
    dropletId,
    createdAt: '2026-11-01T00:00:00Z',
    deletedAt: null,
    createdByActionId: 2_000_000_000 + id,
    ...extra,
  };
}

const hex = (id: string): string => id.slice(0, 8);

/** A world where every promise holds: one saga, its one snapshot, others' images untouched. */
function cleanWorld(): { sagas: CheckedSaga[]; world: CheckedWorld } {
  return {
    sagas: [
      snapshotSaga(OK_ID, 1001, 'succeeded', {
        context: {
          __inputs__: { droplet_provider_id: 1001 },
          snapshot_id: '11',
          snapshot_name: `arcadia-snap-1001-${hex(OK_ID)}`,
        },
      }),
    ],
    world: {
      snapshots: [
        image(11, `arcadia-snap-1001-${hex(OK_ID)}`, 1001),
        image(12, 'web-1-manual', 1001, { createdByActionId: null }),
      ],
      backups: [{ id: 13, name: 'web-1 weekly', deletedAt: null }],
      actions: [
        {
          id: 2_000_000_011,
          type: 'snapshot',
          status: 'completed',
          snapshotName: `arcadia-snap-1001-${hex(OK_ID)}`,
          resource_id: 1001,
        },
      ],
    },
  };
}

describe('the chaos invariant checker', () => {
  it('finds nothing wrong in a world that keeps every promise', () => {
    const { sagas, world } = cleanWorld();
    expect(checkInvariants(sagas, world)).toEqual([]);
  });

  it('reports a duplicate, a leak, a deleted foreign snapshot and backup, and every other broken promise', () => {
    const { sagas, world } = cleanWorld();
    const recorded = (id: string, dropletId: number, snapshotId: string): CheckedSaga['context'] => ({
      __inputs__: { droplet_provider_id: dropletId },
      snapshot_id: snapshotId,
      snapshot_name: `arcadia-snap-${dropletId}-${hex(id)}`,
    });
    sagas.push(
      // duplicate: two snapshots under one succeeded saga's name
      snapshotSaga(DUP_ID, 1002, 'succeeded', { context: recorded(DUP_ID, 1002, '21') }),
      // leak: a rolled-back saga's snapshot still there
      snapshotSaga(LEAK_ID, 1003, 'rolled_back'),
      // unfinished: left running
      snapshotSaga(STUCK_ID, 1004, 'running'),
      // wrong-id: recorded another snapshot than the one with its name
      snapshotSaga(WRONG_ID, 1005, 'succeeded', { context: recorded(WRONG_ID, 1005, '999') }),
      // missing: succeeded, but its snapshot is gone
      snapshotSaga(GONE_ID, 1006, 'succeeded', { context: recorded(GONE_ID, 1006, '61') }),
      // step-order: the second step started before the first finished, and results came in reverse
      {
        ...snapshotSaga(DISORDER_ID, 1007, 'succeeded', { context: recorded(DISORDER_ID, 1007, '71') }),
        stepNames: ['create_droplet_snapshot', 'noop'],
        steps: [
          step(0, 'create_droplet_snapshot', 'succeeded', { finishedAt: 1050 }),
          step(1, 'noop', 'succeeded', { startedAt: 1020 }),
        ],
        events: [
          { stepIdx: 1, from: 'running', to: 'succeeded', detail: null },
          { stepIdx: 0, from: 'running', to: 'succeeded', detail: null },
        ],
      },
      // running-action + needs-attention: gave up with its snapshot action still going
      {
        ...snapshotSaga(RUNNING_ID, 1008, 'compensation_failed'),
        steps: [step(0, 'create_droplet_snapshot', 'compensation_failed')],
      },
    );
    world.snapshots.push(
      image(21, `arcadia-snap-1002-${hex(DUP_ID)}`, 1002),
      image(22, `arcadia-snap-1002-${hex(DUP_ID)}`, 1002),
      image(31, `arcadia-snap-1003-${hex(LEAK_ID)}`, 1003),
      image(51, `arcadia-snap-1005-${hex(WRONG_ID)}`, 1005),
      image(61, `arcadia-snap-1006-${hex(GONE_ID)}`, 1006, { deletedAt: '2026-11-02T00:00:00Z' }),
      image(71, `arcadia-snap-1007-${hex(DISORDER_ID)}`, 1007),
      // someone else's snapshot, deleted
      image(91, 'db-01-before-upgrade', 1001, { createdByActionId: null, deletedAt: '2026-11-02T00:00:00Z' }),
      // an older arcadia snapshot deleted although no saga prunes droplet 1001
      image(92, 'arcadia-snap-1001-0badc0de', 1001, { createdByActionId: null, deletedAt: '2026-11-02T00:00:00Z' }),
      // an arcadia-named snapshot no saga in the ledger made
      image(93, 'arcadia-snap-1009-deadbeef', 1009),
    );
    world.backups.push({ id: 94, name: 'db-01 weekly backup', deletedAt: '2026-11-02T00:00:00Z' });
    world.actions.push({
      id: 2_000_000_081,
      type: 'snapshot',
      status: 'in-progress',
      snapshotName: `arcadia-snap-1008-${hex(RUNNING_ID)}`,
      resource_id: 1008,
    });

    const violations = checkInvariants(sagas, world);
    const rules = (rule: ViolationRule): string[] => violations.filter((v) => v.rule === rule).map((v) => v.message);
    expect(rules('duplicate').join('\n')).toMatch(new RegExp(`${DUP_ID} made 2 snapshots`));
    expect(rules('leak').join('\n')).toMatch(new RegExp(`rolled_back saga ${LEAK_ID} left 1 snapshot`));
    expect(rules('leak').join('\n')).toMatch(/arcadia-snap-1009-deadbeef was made but no saga/);
    expect(rules('foreign-delete').join('\n')).toMatch(/"db-01-before-upgrade" of droplet 1001 was deleted/);
    expect(rules('foreign-delete').join('\n')).toMatch(/backup 94 "db-01 weekly backup" was deleted/);
    expect(rules('unjustified-delete').join('\n')).toMatch(/arcadia-snap-1001-0badc0de/);
    expect(rules('unfinished').join('\n')).toMatch(new RegExp(`${STUCK_ID} \\(snapshot\\) left running`));
    expect(rules('wrong-id').join('\n')).toMatch(new RegExp(`${WRONG_ID} recorded snapshot 999`));
    expect(rules('missing').join('\n')).toMatch(new RegExp(`${GONE_ID} has no snapshot`));
    expect(rules('step-order').join('\n')).toMatch(/started at 1020, before create_droplet_snapshot finished at 1050/);
    expect(rules('step-order').join('\n')).toMatch(/results recorded in the order 1,0/);
    expect(rules('running-action').join('\n')).toMatch(new RegExp(`${RUNNING_ID} left snapshot action`));
    expect(rules('needs-attention').join('\n')).toMatch(
      new RegExp(`${RUNNING_ID} \\(snapshot\\) ended compensation_failed`),
    );
    // The clean saga is not blamed for anything.
    expect(violations.filter((v) => v.sagaId === OK_ID)).toEqual([]);
  });

  it('checks retention: exactly the newest N kept, never more, never the wrong ones', () => {
    const sagaId = 'bbbbbbb1-0000-4000-8000-000000000001';
    const saga: CheckedSaga = {
      ...snapshotSaga(sagaId, 1001, 'succeeded'),
      stepNames: ['create_droplet_snapshot', 'prune_snapshots'],
      context: {
        __inputs__: { droplet_provider_id: 1001, keep: 2 },
        snapshot_id: '10',
        snapshot_name: `arcadia-snap-1001-${hex(sagaId)}`,
        pruned_snapshot_ids: ['1'],
      },
      steps: [step(0, 'create_droplet_snapshot', 'succeeded'), step(1, 'prune_snapshots', 'succeeded')],
    };
    const old = (id: number, day: number, deleted: boolean): CheckedWorld['snapshots'][number] =>
      image(id, `arcadia-snap-1001-0000000${id}`, 1001, {
        createdByActionId: null,
        createdAt: `2026-11-0${day}T00:00:00Z`,
        deletedAt: deleted ? '2026-11-09T00:00:00Z' : null,
      });
    const world = (oldest: boolean, newest: boolean): CheckedWorld => ({
      snapshots: [old(1, 1, oldest), old(2, 2, newest), image(10, `arcadia-snap-1001-${hex(sagaId)}`, 1001)],
      backups: [],
      actions: [],
    });
    expect(checkInvariants([saga], world(true, false))).toEqual([]);
    expect(checkInvariants([saga], world(false, true)).map((v) => v.rule)).toEqual(['retention']);
    expect(checkInvariants([saga], world(false, false)).map((v) => v.rule)).toEqual(['retention']);
  });
});

describe('the checker and retention by a later saga', () => {
  const first = 'ccccccc1-0000-4000-8000-000000000001';
  const second = 'ccccccc2-0000-4000-8000-000000000002';
  const sagas = (): CheckedSaga[] => [
    snapshotSaga(first, 1001, 'succeeded', {
      context: {
        __inputs__: { droplet_provider_id: 1001, keep: 1 },
        snapshot_id: '10',
        snapshot_name: `arcadia-snap-1001-${hex(first)}`,
      },
    }),
    {
      ...snapshotSaga(second, 1001, 'succeeded'),
      stepNames: ['create_droplet_snapshot', 'prune_snapshots'],
      context: {
        __inputs__: { droplet_provider_id: 1001, keep: 1 },
        snapshot_id: '20',
        snapshot_name: `arcadia-snap-1001-${hex(second)}`,
      },
      steps: [step(0, 'create_droplet_snapshot', 'succeeded'), step(1, 'prune_snapshots', 'succeeded')],
    },
  ];
  const world = (firstAt: string, secondAt: string): CheckedWorld => ({
    snapshots: [
      image(10, `arcadia-snap-1001-${hex(first)}`, 1001, { createdAt: firstAt, deletedAt: '2026-11-03T00:00:00Z' }),
      image(20, `arcadia-snap-1001-${hex(second)}`, 1001, { createdAt: secondAt }),
    ],
    backups: [],
    actions: [],
  });

  it('does not call a snapshot missing when a later --keep rightly pruned it', () => {
    expect(checkInvariants(sagas(), world('2026-11-01T00:00:00Z', '2026-11-02T00:00:00Z'))).toEqual([]);
  });

  it('does when the saga that pruned it has the older snapshot', () => {
    expect(checkInvariants(sagas(), world('2026-11-02T00:00:00Z', '2026-11-01T00:00:00Z')).map((v) => v.rule)).toEqual([
      'missing',
    ]);
  });

  it('counts compensation_failed as attention, and as a violation only under --strict', () => {
    const outcome = { ...harmlessOutcome(), violations: [{ rule: 'needs-attention' as const, message: 'gave up' }] };
    expect(summarize([outcome], { seed: 1, runs: 1 }, 0)).toMatchObject({
      violations: [],
      attention: [{ seed: 1, rule: 'needs-attention' }],
    });
    expect(summarize([outcome], { seed: 1, runs: 1, strict: true }, 0)).toMatchObject({
      violations: [{ seed: 1 }],
      attention: [],
    });
  });
});

function harmlessOutcome(): RunOutcome {
  return {
    plan: planRun(1),
    violations: [],
    kills: { timer: 0, failpoint: 0 },
    resumeKills: 0,
    resumes: 1,
    faults: {
      total: 0,
      serverErrors: 0,
      droppedReplies: 0,
      errorsAfterEffect: 0,
      slowReplies: 0,
      erroredActions: 0,
      rateLimited: 0,
    },
    sagas: {},
    intrusion: null,
    paused: false,
    requests: 0,
    quota: { lowestRemaining: undefined, reserve: undefined },
    hostProcesses: { local: 2 },
    database: null,
    ms: 0,
    keptAt: null,
  };
}

describe('chaos plans and flags', () => {
  it('a seed always gives the same plan, and neighbouring seeds differ', () => {
    const strip = (seed: number): string => JSON.stringify(planRun(seed)).replace(/"createdAt":"[^"]*"/g, '');
    expect(strip(17)).toBe(strip(17));
    expect(new Set([1, 2, 3, 4, 5].map(strip)).size).toBe(5);
    expect(new Set(Array.from({ length: 30 }, (_, i) => planRun(i).scenario))).toEqual(new Set(SCENARIOS));
  });

  it('parses --short, --long, --runs, --seed and refuses nonsense', () => {
    expect(parseChaosArgs([])).toMatchObject({ runs: SHORT_RUNS, seed: SHORT_SEED });
    expect(parseChaosArgs(['--short'])).toMatchObject({ runs: SHORT_RUNS, seed: SHORT_SEED, seedFromClock: false });
    expect(parseChaosArgs(['--long'])).toMatchObject({ runs: LONG_RUNS, seedFromClock: true });
    expect(parseChaosArgs(['--long', '--seed', '9', '--runs', '3', '--scenario', 'batch'])).toMatchObject({
      runs: 3,
      seed: 9,
      scenarios: ['batch'],
      seedFromClock: false,
    });
    expect(() => parseChaosArgs(['--runs', '0'])).toThrow(ChaosUsageError);
    expect(() => parseChaosArgs(['--scenario', 'nope'])).toThrow(ChaosUsageError);
    expect(() => parseChaosArgs(['--short', '--long'])).toThrow(ChaosUsageError);
    expect(() => parseChaosArgs(['--frobnicate'])).toThrow(ChaosUsageError);
  });

  it('--postgres is off by default, and a PostgreSQL finding replays on PostgreSQL with its seed', () => {
    expect(parseChaosArgs([]).postgres).toBe(false);
    const options = parseChaosArgs(['--short', '--postgres']);
    expect(options).toMatchObject({ postgres: true, runs: SHORT_RUNS, seed: SHORT_SEED });
    expect(replayCommand(7, options)).toBe('npm run chaos -- --postgres --seed 7 --runs 1');
    expect(replayCommand(7, { ...options, postgres: false })).toBe('npm run chaos -- --seed 7 --runs 1');
  });
});

describe('a small chaos round against the built binary', () => {
  it('4 seeded runs (kills, faults, resumes): no promise broken', async () => {
    const summary = await runChaos({ runs: 4, seed: 4000, concurrency: 2, scenarios: SCENARIOS });
    expect(summary.violations.map((v) => `seed ${v.seed} [${v.rule}] ${v.message}`)).toEqual([]);
    expect(summary.runs).toBe(4);
    expect(summary.kills.total).toBeGreaterThan(0);
    expect(summary.faults.total).toBeGreaterThan(0);
    expect(Object.values(summary.sagas).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
  }, 60_000);
});
