import type { SucceededDrill, SucceededSnapshot } from '../../../db/monitoring-facts.js';
import { lastDrillOf } from '../../../monitoring/drill-freshness.js';

/** A droplet of the drill's set (ids and the tag's droplets). */
export interface DrillCandidate {
  id: number;
  name: string;
}

/** What the ledger says, as `SagaLedger.monitoringFacts` gives it. */
export interface DrillHistory {
  /** Succeeded snapshot sagas, any order. */
  succeeded: readonly SucceededSnapshot[];
  /** Succeeded drills, any order. */
  drills: readonly SucceededDrill[];
  /** Snapshot ids retention or a reconcile deleted. */
  deletedSnapshotIds: ReadonlySet<string>;
}

/** A droplet chosen for a drill, with the snapshot to restore (as the provider lists it). */
export interface DrillTarget<S> {
  dropletId: number;
  dropletName: string;
  snapshotId: string;
  /** The listed snapshot: its regions and min_disk_size decide where and how big the temporary droplet is. */
  snapshot: S;
  /** When its last successful drill finished; null for never. */
  lastDrillAt: number | null;
}

export interface DrillSelection<S> {
  /** The sample, in the order it was chosen (never drilled first, then the longest ago). */
  toDrill: DrillTarget<S>[];
  /** Droplets with no arcadia snapshot that still exists: reported, never drilled. */
  noSnapshot: DrillCandidate[];
  /** Droplets with a snapshot that this run's sample left for a later one. */
  notSampled: number[];
}

/**
 * The newest snapshot a succeeded snapshot saga of the droplet recorded that was not deleted since and that the
 * provider still lists. `listed` maps snapshot ids to the listing's entries.
 */
export function newestRestorableSnapshot<S>(
  dropletId: number,
  history: Pick<DrillHistory, 'succeeded' | 'deletedSnapshotIds'>,
  listed: ReadonlyMap<string, S>,
): { snapshotId: string; snapshot: S } | undefined {
  const candidates = history.succeeded
    .filter((s) => s.dropletId === dropletId && s.snapshotId !== null && !history.deletedSnapshotIds.has(s.snapshotId))
    .sort((a, b) => b.finishedAt - a.finishedAt || (b.sagaId < a.sagaId ? -1 : 1));
  for (const { snapshotId } of candidates) {
    const snapshot = snapshotId === null ? undefined : listed.get(snapshotId);
    if (snapshotId !== null && snapshot !== undefined) return { snapshotId, snapshot };
  }
  return undefined;
}

/**
 * Which droplets a drill run restores: `sample` of those that have a restorable arcadia snapshot, never-drilled
 * first, then the one whose last successful drill is oldest (ties by droplet id, so a run is predictable). A
 * droplet without a snapshot does not take a place in the sample: it would otherwise block drills of the others
 * for ever.
 */
export function chooseDrillTargets<S>(
  droplets: readonly DrillCandidate[],
  history: DrillHistory,
  listed: ReadonlyMap<string, S>,
  sample: number,
): DrillSelection<S> {
  const last = lastDrillOf(history.drills);
  const noSnapshot: DrillCandidate[] = [];
  const ready: DrillTarget<S>[] = [];
  for (const droplet of droplets) {
    const found = newestRestorableSnapshot(droplet.id, history, listed);
    if (!found) {
      noSnapshot.push(droplet);
      continue;
    }
    const lastDrillAt = last.get(droplet.id)?.finishedAt ?? null;
    ready.push({ dropletId: droplet.id, dropletName: droplet.name, ...found, lastDrillAt });
  }
  const never = Number.NEGATIVE_INFINITY;
  ready.sort((a, b) => (a.lastDrillAt ?? never) - (b.lastDrillAt ?? never) || a.dropletId - b.dropletId);
  const toDrill = ready.slice(0, Math.max(0, sample));
  return { toDrill, noSnapshot, notSampled: ready.slice(toDrill.length).map((t) => t.dropletId) };
}
