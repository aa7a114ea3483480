import type { ActionRecord, ImageRecord } from '../../src/simulator/index.js';
import { INPUTS_KEY, isTerminal, type SagaEvent, type SagaRecord } from '../../src/engine/types.js';
import { parseSnapshotName, snapshotName } from '../../src/sagas/snapshot/naming.js';
import { checkRestores, type CheckedRestoreWorld } from './restore-invariants.js';
import { checkVolumesAndCopies, type CheckedVolumeWorld } from './volume-invariants.js';

/**
 * The promises of ARCHITECTURE.md, checked after a chaos run against the simulator's whole history (deleted snapshots
 * included) and the ledger. Pure: it takes plain data, so a test can hand it a fabricated world and watch it fail.
 */

export type ViolationRule =
  | 'unfinished' // a saga left non-terminal
  | 'needs-attention' // a saga ended compensation_failed: not a broken promise, but a human gets paged (see ATTENTION)
  | 'duplicate' // a saga made more than one snapshot or droplet (or posted more than one live snapshot action)
  | 'missing' // a succeeded saga has no snapshot
  | 'wrong-id' // a succeeded saga recorded another snapshot than the provider has under its name
  | 'leak' // a snapshot left behind by a saga that did not succeed, or by no saga at all
  | 'running-action' // a snapshot action still running after its saga gave up
  | 'foreign-delete' // a snapshot, backup or droplet arcadia did not make was deleted
  | 'unjustified-delete' // an arcadia-named snapshot deleted with no saga that could have pruned it
  | 'retention' // --keep left the wrong number or the wrong snapshots
  | 'step-order' // step results recorded out of order
  | 'superseded-request' // a request of a saga's older lease epoch reached the provider after its successor's
  | 'quota-reserve' // arcadia's own requests spent into the hourly quota's reserve
  | 'process'; // an arcadia process hung, crashed with an internal error, or exited with a code it must not

/**
 * Rules whose findings are reported but do not fail a run unless asked to (`--strict`): compensation_failed is a
 * documented outcome (exit 5, leftovers listed) when the provider keeps failing, though under chaos it also
 * reveals false alarms worth fixing.
 */
export const ATTENTION_RULES: readonly ViolationRule[] = ['needs-attention'];

export interface Violation {
  rule: ViolationRule;
  message: string;
  sagaId?: string;
}

/** Whether a finding fails the run. */
export function isViolation(v: Violation, options: { strict?: boolean }): boolean {
  return options.strict === true || !ATTENTION_RULES.includes(v.rule);
}

/** What the checker needs of a saga: the ledger record and its events, in id order. */
export type CheckedSaga = Pick<SagaRecord, 'id' | 'kind' | 'status' | 'stepNames' | 'context' | 'steps' | 'error'> & {
  events: Pick<SagaEvent, 'stepIdx' | 'from' | 'to' | 'detail'>[];
};

/** What the checker needs of the simulator (`sim.state()` has all of it). */
export interface CheckedWorld extends CheckedVolumeWorld, Partial<CheckedRestoreWorld> {
  snapshots: Pick<ImageRecord, 'id' | 'name' | 'dropletId' | 'createdAt' | 'deletedAt' | 'createdByActionId'>[];
  backups: Pick<ImageRecord, 'id' | 'name' | 'deletedAt'>[];
  actions: Pick<ActionRecord, 'id' | 'type' | 'status' | 'snapshotName' | 'resource_id'>[];
}

function inputOf(saga: CheckedSaga, key: string): unknown {
  const inputs = saga.context[INPUTS_KEY];
  return inputs && typeof inputs === 'object' && !Array.isArray(inputs) ? inputs[key] : undefined;
}

function makesSnapshot(saga: CheckedSaga): boolean {
  return saga.stepNames.includes('create_droplet_snapshot');
}

function dropletOf(saga: CheckedSaga): number {
  return Number(inputOf(saga, 'droplet_provider_id'));
}

/** The deterministic name the saga's snapshot step gives (ARCHITECTURE.md, "The snapshot step"). */
export function expectedName(saga: CheckedSaga): string {
  const label = inputOf(saga, 'label');
  return snapshotName(dropletOf(saga), saga.id, typeof label === 'string' && label !== '' ? label : undefined);
}

/**
 * Whether a later succeeded saga's `--keep` on the same droplet accounts for this saga's deleted snapshot: its own
 * snapshot is at least as new, so retention was right to count this one among the older.
 */
function prunedByLaterSaga(
  saga: CheckedSaga,
  snapshot: CheckedWorld['snapshots'][number],
  sagas: CheckedSaga[],
  world: CheckedWorld,
): boolean {
  if (snapshot.deletedAt === null) return false;
  return sagas.some((other) => {
    if (
      other.id === saga.id ||
      other.status !== 'succeeded' ||
      !other.stepNames.includes('prune_snapshots') ||
      dropletOf(other) !== dropletOf(saga)
    )
      return false;
    const theirs = world.snapshots.find((s) => String(s.id) === other.context.snapshot_id);
    return theirs !== undefined && Date.parse(theirs.createdAt) >= Date.parse(snapshot.createdAt);
  });
}

function checkSteps(saga: CheckedSaga, out: Violation[]): void {
  const v = (message: string): void =>
    void out.push({ rule: 'step-order', sagaId: saga.id, message: `saga ${saga.id}: ${message}` });
  const statuses = saga.steps.map((s) => `${s.name}:${s.status}`).join(', ');
  const firstPending = saga.steps.findIndex((s) => s.status === 'pending');
  if (firstPending >= 0 && saga.steps.slice(firstPending).some((s) => s.status !== 'pending'))
    v(`a step ran after one that never started [${statuses}]`);
  if (saga.status === 'succeeded' && saga.steps.some((s) => s.status !== 'succeeded'))
    v(`succeeded with steps [${statuses}]`);
  if (saga.status === 'rolled_back' || saga.status === 'cancelled') {
    const undone = saga.steps.filter((s) => !['pending', 'compensated', 'failed'].includes(s.status));
    if (undone.length > 0) v(`${saga.status} with steps not undone [${statuses}]`);
    const unCompensatedFailure = saga.steps.find((s) => s.status === 'failed' && s.compensatedAt === null);
    if (unCompensatedFailure)
      v(`${saga.status}, but its failed step ${unCompensatedFailure.name} was never compensated`);
  }
  // Forward: a step starts only after the one before it finished.
  const started = saga.steps.filter((s) => s.status !== 'pending');
  for (let i = 0; i + 1 < started.length; i++) {
    const a = started[i];
    const b = started[i + 1];
    if (!a || !b) continue;
    if (a.finishedAt === null) v(`step ${b.name} started while ${a.name} never finished`);
    else if (b.startedAt !== null && b.startedAt < a.finishedAt)
      v(`step ${b.name} started at ${b.startedAt}, before ${a.name} finished at ${a.finishedAt}`);
  }
  // Compensation: in reverse order.
  const compensated = saga.steps.filter((s) => s.compensatedAt !== null);
  for (let i = 0; i + 1 < compensated.length; i++) {
    const a = compensated[i];
    const b = compensated[i + 1];
    if (a && b && a.compensatedAt !== null && b.compensatedAt !== null && a.compensatedAt < b.compensatedAt) {
      v(`step ${a.name} was compensated before the later step ${b.name}`);
    }
  }
  // The event history: results in step order going forward, in reverse order going back, each at most once.
  const forward = saga.events
    .filter((e) => e.stepIdx !== null && e.from === 'running' && e.to === 'succeeded')
    .map((e) => e.stepIdx as number);
  if (forward.some((idx, i) => i > 0 && idx <= (forward[i - 1] as number)))
    v(`step results recorded in the order ${forward.join(',')}`);
  const back = saga.events
    .filter((e) => e.stepIdx !== null && e.from === 'compensating' && (e.to === 'compensated' || e.to === 'failed'))
    .map((e) => e.stepIdx as number);
  if (back.some((idx, i) => i > 0 && idx >= (back[i - 1] as number)))
    v(`compensations recorded in the order ${back.join(',')}`);
}

export function checkInvariants(sagas: readonly CheckedSaga[], world: CheckedWorld): Violation[] {
  const out: Violation[] = [];
  const snapshotSagas = sagas.filter(makesSnapshot);
  const byName = new Map(snapshotSagas.map((s) => [expectedName(s), s] as const));

  for (const saga of sagas) {
    if (!isTerminal(saga.status))
      out.push({ rule: 'unfinished', sagaId: saga.id, message: `saga ${saga.id} (${saga.kind}) left ${saga.status}` });
    if (saga.status === 'compensation_failed') {
      out.push({
        rule: 'needs-attention',
        sagaId: saga.id,
        message: `saga ${saga.id} (${saga.kind}) ended compensation_failed: ${saga.error ?? 'no error recorded'}`,
      });
    }
    checkSteps(saga, out);
  }

  for (const saga of snapshotSagas) {
    const name = expectedName(saga);
    const made = world.snapshots.filter((s) => s.name === name);
    const alive = made.filter((s) => s.deletedAt === null);
    const live = world.actions.filter(
      (a) => a.type === 'snapshot' && a.snapshotName === name && a.status !== 'errored',
    );
    if (made.length > 1)
      out.push({
        rule: 'duplicate',
        sagaId: saga.id,
        message:
          `${saga.status} saga ${saga.id} made ${made.length} snapshots named ${name} ` +
          `(ids ${made.map((s) => s.id).join(', ')})`,
      });
    else if (live.length > 1)
      out.push({
        rule: 'duplicate',
        sagaId: saga.id,
        message:
          `${saga.status} saga ${saga.id} posted ${live.length} snapshot actions for ${name} ` +
          `(ids ${live.map((a) => a.id).join(', ')})`,
      });
    if (saga.status === 'succeeded') {
      const recordedId = saga.context.snapshot_id;
      const pruned =
        made.length === 1 && made[0] !== undefined && prunedByLaterSaga(saga, made[0], snapshotSagas, world);
      if (alive.length === 0 && !pruned)
        out.push({
          rule: 'missing',
          sagaId: saga.id,
          message: `succeeded saga ${saga.id} has no snapshot named ${name} (recorded ${String(recordedId)})`,
        });
      else if (alive.length === 1 && String(alive[0]?.id) !== recordedId) {
        out.push({
          rule: 'wrong-id',
          sagaId: saga.id,
          message:
            `succeeded saga ${saga.id} recorded snapshot ${String(recordedId)}, the provider ` +
            `has ${alive[0]?.id} named ${name}`,
        });
      } else if (alive.length === 1 && saga.context.snapshot_name !== name) {
        out.push({
          rule: 'wrong-id',
          sagaId: saga.id,
          message:
            `succeeded saga ${saga.id} recorded the name ` + `${String(saga.context.snapshot_name)}, expected ${name}`,
        });
      }
    } else {
      if (alive.length > 0)
        out.push({
          rule: 'leak',
          sagaId: saga.id,
          message:
            `${saga.status} saga ${saga.id} left ${alive.length} snapshot(s) named ${name} ` +
            `(ids ${alive.map((s) => s.id).join(', ')})`,
        });
      if (live.some((a) => a.status === 'in-progress'))
        out.push({
          rule: 'running-action',
          sagaId: saga.id,
          message: `${saga.status} saga ${saga.id} left snapshot action for ${name} running`,
        });
    }
  }

  // Snapshots under arcadia's names that no saga in the ledger accounts for (others' snapshots are not arcadia's
  // business).
  for (const snapshot of world.snapshots) {
    if (
      snapshot.createdByActionId !== null &&
      snapshot.deletedAt === null &&
      parseSnapshotName(snapshot.name) &&
      !byName.has(snapshot.name)
    ) {
      out.push({
        rule: 'leak',
        message: `snapshot ${snapshot.id} ${snapshot.name} was made but no saga in the ledger has that name`,
      });
    }
  }
  for (const action of world.actions) {
    const name = action.snapshotName;
    if (
      action.type === 'snapshot' &&
      action.status === 'in-progress' &&
      name !== null &&
      parseSnapshotName(name) &&
      !byName.has(name)
    ) {
      out.push({
        rule: 'running-action',
        message:
          `snapshot action ${action.id} for ${action.snapshotName} is running and no saga in the ledger has ` +
          `that name`,
      });
    }
  }

  // Deletions: never what arcadia did not make; an older arcadia snapshot only where a saga prunes that droplet.
  const pruners = new Set(snapshotSagas.filter((s) => s.stepNames.includes('prune_snapshots')).map(dropletOf));
  for (const snapshot of world.snapshots) {
    if (snapshot.deletedAt === null) continue;
    const parsed = parseSnapshotName(snapshot.name);
    if (!parsed) {
      out.push({
        rule: 'foreign-delete',
        message:
          `snapshot ${snapshot.id} "${snapshot.name}" of droplet ${snapshot.dropletId} was deleted, and arcadia ` +
          `did not make it`,
      });
    } else if (
      !byName.has(snapshot.name) &&
      !(parsed.dropletId === snapshot.dropletId && pruners.has(snapshot.dropletId))
    ) {
      out.push({
        rule: 'unjustified-delete',
        message:
          `snapshot ${snapshot.id} ${snapshot.name} of droplet ${snapshot.dropletId} was deleted, and no saga ` +
          `prunes that droplet`,
      });
    }
  }
  for (const backup of world.backups) {
    if (backup.deletedAt !== null)
      out.push({ rule: 'foreign-delete', message: `backup ${backup.id} "${backup.name}" was deleted` });
  }

  checkRetention(snapshotSagas, world, out);
  checkVolumesAndCopies(sagas, world, out);
  // Unfinished and compensation_failed sagas are reported above, for every kind.
  const again: readonly ViolationRule[] = ['unfinished', 'needs-attention'];
  out.push(
    ...checkRestores(sagas, { dropletHistory: world.dropletHistory ?? [] }).filter((v) => !again.includes(v.rule)),
  );
  return out;
}

/**
 * `--keep N` on a droplet that one saga alone worked on: afterwards exactly the newest N of arcadia's snapshots of
 * it are left (the new one counted), or all of them if there were fewer. With several sagas on one droplet, listing
 * lag makes the count legitimately vary, so only the deletion rules above apply there.
 */
const RETENTION_INPUTS_BEYOND_KEEP = [
  'keep_hourly',
  'keep_daily',
  'keep_weekly',
  'keep_monthly',
  'keep_yearly',
  'keep_within',
];

function checkRetention(snapshotSagas: CheckedSaga[], world: CheckedWorld, out: Violation[]): void {
  const byDroplet = new Map<number, CheckedSaga[]>();
  for (const saga of snapshotSagas) byDroplet.set(dropletOf(saga), [...(byDroplet.get(dropletOf(saga)) ?? []), saga]);
  for (const [dropletId, sagas] of byDroplet) {
    const [saga] = sagas;
    if (sagas.length !== 1 || !saga || saga.status !== 'succeeded' || !saga.stepNames.includes('prune_snapshots'))
      continue;
    if (typeof saga.context.prune_error === 'string') continue; // reported by arcadia itself (exit 5)
    // Only --keep (keep-last) alone is counted here; calendar policies are checked by test/sagas/retention*.
    if (RETENTION_INPUTS_BEYOND_KEEP.some((key) => inputOf(saga, key) !== undefined)) continue;
    const keep = Number(inputOf(saga, 'keep'));
    const ours = world.snapshots.filter(
      (s) => s.dropletId === dropletId && parseSnapshotName(s.name)?.dropletId === dropletId,
    );
    const older = ours
      .filter((s) => s.createdByActionId === null)
      .sort((a, b) => Date.parse(b.createdAt) - Date.parse(a.createdAt) || b.id - a.id);
    const expected = new Set(older.slice(0, Math.max(0, keep - 1)).map((s) => s.id));
    const kept = new Set(older.filter((s) => s.deletedAt === null).map((s) => s.id));
    const same = expected.size === kept.size && [...expected].every((id) => kept.has(id));
    if (!same) {
      out.push({
        rule: 'retention',
        sagaId: saga.id,
        message:
          `saga ${saga.id} --keep ${keep} on droplet ${dropletId} kept older snapshots ` +
          `[${[...kept].join(', ')}], expected the newest ${keep - 1}: [${[...expected].join(', ')}]`,
      });
    }
  }
}
