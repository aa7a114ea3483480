import type { SucceededDrill } from '../db/monitoring-facts.js';

/** A drill can only warn: an old drill says nothing about the backups themselves, which the snapshot ages judge. */
export type DrillState = 'OK' | 'WARNING';

export interface DropletDrill {
  dropletId: number;
  state: DrillState;
  /** Age of the last successful drill in whole seconds; null when the droplet was never drilled. */
  ageSeconds: number | null;
  lastDrillAt: number | null;
  snapshotId: string | null;
  activeAfterMs: number | null;
  sagaId: string | null;
}

export interface DrillReport {
  state: DrillState;
  warnSeconds: number;
  droplets: DropletDrill[];
}

/** The newest succeeded drill of each droplet (the facts come newest first, but order is not relied on). */
export function lastDrillOf(drills: readonly SucceededDrill[]): Map<number, SucceededDrill> {
  const newest = new Map<number, SucceededDrill>();
  for (const drill of drills) {
    const known = newest.get(drill.dropletId);
    if (!known || drill.finishedAt > known.finishedAt) newest.set(drill.dropletId, drill);
  }
  return newest;
}

/**
 * `check --drill-warn`: WARNING for a droplet whose last successful drill is at least `warnSeconds` old, or that was
 * never drilled (a backup nobody restored is a hope, so "never" must not read as fine).
 */
export function assessDrills(
  dropletIds: readonly number[],
  drills: readonly SucceededDrill[],
  now: number,
  warnSeconds: number,
): DrillReport {
  const last = lastDrillOf(drills);
  const droplets = dropletIds.map((dropletId): DropletDrill => {
    const drill = last.get(dropletId);
    if (!drill) {
      const none = { ageSeconds: null, lastDrillAt: null, snapshotId: null, activeAfterMs: null, sagaId: null };
      return { dropletId, state: 'WARNING', ...none };
    }
    const ageSeconds = Math.max(0, Math.floor((now - drill.finishedAt) / 1000));
    return {
      dropletId,
      state: ageSeconds >= warnSeconds ? 'WARNING' : 'OK',
      ageSeconds,
      lastDrillAt: drill.finishedAt,
      snapshotId: drill.snapshotId,
      activeAfterMs: drill.activeAfterMs,
      sagaId: drill.sagaId,
    };
  });
  const state: DrillState = droplets.some((d) => d.state === 'WARNING') ? 'WARNING' : 'OK';
  return { state, warnSeconds, droplets };
}
