import type { DropletRecord } from '../../src/simulator/index.js';
import { isTerminal } from '../../src/engine/types.js';
import { restoreTag, sagaIdOfRestoreTag } from '../../src/sagas/restore/naming.js';
import type { CheckedSaga, Violation } from './invariants.js';

/**
 * The restore saga's promises (ARCHITECTURE.md, "The restore saga"), checked against every droplet the simulator ever
 * knew: exactly one droplet per succeeded restore, none left by a rolled-back or cancelled one or by any finished
 * drill, never two created under one saga's tag, and no deleted droplet that a restoring saga of the ledger did
 * not make. Pure, like checkInvariants, so a fabricated world can show each rule failing.
 */

export interface CheckedRestoreWorld {
  dropletHistory: Pick<DropletRecord, 'id' | 'name' | 'tags' | 'createdBy' | 'deletedAt'>[];
}

/** A saga that restores a droplet: a restore, a drill, or an engine saga (`saga start`) with the create step. */
function restores(saga: CheckedSaga): boolean {
  return saga.stepNames.includes('create_droplet_from_snapshot');
}

export function checkRestores(sagas: readonly CheckedSaga[], world: CheckedRestoreWorld): Violation[] {
  const out: Violation[] = [];
  const restoring = sagas.filter(restores);
  const ours = new Set(restoring.map((saga) => saga.id));
  for (const saga of restoring) {
    const v = (rule: Violation['rule'], message: string): void =>
      void out.push({ rule, sagaId: saga.id, message: `${saga.kind} saga ${saga.id}: ${message}` });
    const tag = restoreTag(saga.id);
    const made = world.dropletHistory.filter((d) => d.createdBy !== null && d.tags.includes(tag));
    const live = made.filter((d) => d.deletedAt === null);
    if (!isTerminal(saga.status)) v('unfinished', `left ${saga.status}`);
    if (saga.status === 'compensation_failed') v('needs-attention', `ended compensation_failed: ${saga.error ?? ''}`);
    if (made.length > 1) v('duplicate', `${made.length} droplets were created with its tag: ${ids(made)}`);
    // a drill deletes its droplet; a restore keeps it
    const keeps = saga.status === 'succeeded' && !saga.stepNames.includes('delete_restored_droplet');
    if (keeps && live.length === 0) v('missing', 'succeeded, but no droplet carrying its tag is left');
    if (keeps && live.length === 1 && saga.context.restore_droplet_id !== live[0]?.id)
      v('wrong-id', `recorded droplet ${String(saga.context.restore_droplet_id)}, but ${ids(live)} carries its tag`);
    const finished = isTerminal(saga.status) && saga.status !== 'compensation_failed';
    if (finished && !keeps && live.length > 0) v('leak', `${saga.status}, but droplets ${ids(live)} are left`);
  }
  for (const droplet of world.dropletHistory) {
    const sagaIds = droplet.tags.flatMap((tag) => sagaIdOfRestoreTag(tag) ?? []);
    const made = droplet.createdBy !== null && sagaIds.some((id) => ours.has(id));
    if (droplet.deletedAt !== null && !made)
      out.push({
        rule: 'foreign-delete',
        message: `droplet ${droplet.id} (${droplet.name}) was deleted, but no saga of the ledger restored it`,
      });
    if (droplet.deletedAt === null && droplet.createdBy !== null && sagaIds.length > 0 && !made)
      out.push({ rule: 'leak', message: `droplet ${droplet.id} carries the tag of a saga the ledger does not have` });
  }
  return out;
}

function ids(droplets: readonly { id: number }[]): string {
  return droplets.map((d) => d.id).join(', ');
}
