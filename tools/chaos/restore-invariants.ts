import type { CheckedSaga, Violation } from './invariants.js';

/** Every droplet tagged by one saga carries this tag (src/sagas/restore/naming.ts). */
const SAGA_TAG_PREFIX = 'arcadia-saga-';

/** What the restore checks need of a droplet in the simulator's history (its `dropletHistory`, deleted included). */
export interface CheckedDroplet {
  id: number;
  name: string;
  tags: string[];
  /** The token marker of the POST that made it; null for a droplet the simulator was seeded with. */
  createdBy: string | null;
  deletedAt: string | null;
}

/** Absent in worlds fabricated before restores existed. */
export interface CheckedRestoreWorld {
  dropletHistory?: CheckedDroplet[];
}

/** Restores, drills, and test sagas built of their steps (the chaos rollback smoke): all make a droplet. */
function makesDroplet(saga: CheckedSaga): boolean {
  return saga.stepNames.includes('create_droplet_from_snapshot');
}

/** Only a succeeded saga without the drill's delete step keeps its droplet. */
function keepsDroplet(saga: CheckedSaga): boolean {
  return saga.status === 'succeeded' && !saga.stepNames.includes('delete_restored_droplet');
}

function isDrill(saga: CheckedSaga): boolean {
  return saga.stepNames.includes('delete_restored_droplet');
}

function sagaIdsOf(droplet: CheckedDroplet): string[] {
  return droplet.tags.filter((t) => t.startsWith(SAGA_TAG_PREFIX)).map((t) => t.slice(SAGA_TAG_PREFIX.length));
}

function alive(droplets: CheckedDroplet[]): CheckedDroplet[] {
  return droplets.filter((d) => d.deletedAt === null);
}

function ids(droplets: CheckedDroplet[]): string {
  return droplets.map((d) => d.id).join(', ');
}

/** One saga's droplets against its outcome: exactly one kept by a succeeded restore, none left by anything else. */
function checkSaga(saga: CheckedSaga, made: CheckedDroplet[], out: Violation[]): void {
  const v = (rule: Violation['rule'], message: string): void => void out.push({ rule, sagaId: saga.id, message });
  const left = alive(made);
  if (made.length > 1)
    v('duplicate', `${saga.kind} saga ${saga.id} (${saga.status}) made ${made.length} droplets (${ids(made)})`);
  // compensation_failed lists its leftovers for a human (reported as needs-attention by the general checks).
  if (saga.status === 'compensation_failed') return;
  if (keepsDroplet(saga)) {
    const recorded = saga.context.restore_droplet_id;
    if (left.length === 0) v('missing', `succeeded restore ${saga.id} has no droplet (recorded ${String(recorded)})`);
    else if (left.length === 1 && left[0]?.id !== recorded)
      v('wrong-id', `succeeded restore ${saga.id} recorded droplet ${String(recorded)}, the provider has ${ids(left)}`);
    else if (left.length > 1) v('leak', `succeeded restore ${saga.id} left ${left.length} droplets (${ids(left)})`);
    return;
  }
  if (left.length > 0) {
    const what =
      saga.kind === 'drill' ? `finished drill ${saga.id} (${saga.status})` : `${saga.status} restore ${saga.id}`;
    v('leak', `${what} left droplet(s) ${ids(left)} running`);
  }
  if (isDrill(saga) && saga.status === 'succeeded') {
    if (made.length === 0) v('missing', `succeeded drill ${saga.id} never made a droplet`);
    if (typeof saga.context.active_after_ms !== 'number')
      v('missing', `succeeded drill ${saga.id} recorded no time to active`);
  }
}

/**
 * Restores and drills (DESIGN section 15): exactly one droplet per succeeded restore (the one it recorded), none per
 * rolled-back or cancelled restore or finished drill, none tagged by a saga the ledger does not have, and never a
 * deleted droplet arcadia did not make.
 */
export function checkRestores(sagas: readonly CheckedSaga[], world: CheckedRestoreWorld, out: Violation[]): void {
  const history = world.dropletHistory ?? [];
  const bySaga = new Map<string, CheckedDroplet[]>();
  for (const droplet of history) {
    if (droplet.createdBy === null) continue;
    for (const id of sagaIdsOf(droplet)) bySaga.set(id, [...(bySaga.get(id) ?? []), droplet]);
  }
  const known = new Set(sagas.map((s) => s.id));
  for (const saga of sagas.filter(makesDroplet)) checkSaga(saga, bySaga.get(saga.id) ?? [], out);
  for (const [sagaId, droplets] of bySaga) {
    if (known.has(sagaId) || alive(droplets).length === 0) continue;
    out.push({
      rule: 'leak',
      message: `droplet(s) ${ids(alive(droplets))} tagged by saga ${sagaId}, unknown to the ledger`,
    });
  }
  for (const droplet of history) {
    if (droplet.deletedAt === null) continue;
    const ours = droplet.createdBy !== null && sagaIdsOf(droplet).some((id) => known.has(id));
    if (!ours)
      out.push({
        rule: 'foreign-delete',
        message: `droplet ${droplet.id} "${droplet.name}" was deleted, and no saga of arcadia made it`,
      });
  }
}
