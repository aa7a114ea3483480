import { NotFoundError } from '../../digitalocean/errors.js';
import type { StepContext } from '../../engine/step.js';
import type { SnapshotApi } from './api.js';
import { applyRetentionPolicy, snapshotsToDelete } from './retention.js';
import type { RetentionPolicy } from './retention-policy.js';
import { isOwnVolumeSnapshot } from './volume-naming.js';
import { recordedVolumeIds, recordedVolumeSnapshots } from './volume-snapshot-step.js';

export const PRUNED_VOLUME_KEY = 'pruned_volume_snapshot_ids';

/**
 * The droplet's retention policy over each volume's snapshots: only arcadia's own of this droplet's volume, the one
 * this saga just took always kept. A volume this saga did not snapshot is left alone (its new snapshot is the floor).
 */
export async function pruneVolumeSnapshots(
  api: SnapshotApi,
  ctx: StepContext,
  dropletId: number,
  policy: RetentionPolicy,
  pruned: string[],
): Promise<string[]> {
  const made = recordedVolumeSnapshots(ctx.context);
  for (const volumeId of recordedVolumeIds(ctx.context) ?? []) {
    const newId = made[volumeId];
    if (newId === undefined) continue;
    let listed;
    try {
      listed = await api.listVolumeSnapshots(volumeId);
    } catch (error) {
      if (error instanceof NotFoundError) continue;
      throw error;
    }
    const snapshots = listed
      .filter((s) => !pruned.includes(s.id))
      .map((s) => ({ id: s.id, name: s.name, createdAt: s.created_at }));
    const isOwn = (s: { name: string }): boolean => isOwnVolumeSnapshot(s.name, dropletId, volumeId);
    const decisions = applyRetentionPolicy({ snapshots, dropletId, policy, newSnapshotId: newId, isOwn });
    for (const snapshot of snapshotsToDelete(decisions)) {
      try {
        await api.deleteVolumeSnapshot(snapshot.id);
      } catch (error) {
        if (!(error instanceof NotFoundError)) throw error;
      }
      pruned.push(snapshot.id);
      await ctx.checkpoint({ [PRUNED_VOLUME_KEY]: [...pruned] });
      ctx.progress(`pruned volume snapshot ${snapshot.id} ${snapshot.name}`);
    }
  }
  return pruned;
}
