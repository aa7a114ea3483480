import { NotFoundError } from '../../digitalocean/errors.js';
import { LeaseLostError, errorMessage } from '../../engine/errors.js';
import type { StepDefinition } from '../../engine/step.js';
import type { Json, SagaContext } from '../../engine/types.js';
import type { SnapshotStepDependencies } from './api.js';
import { dropletIdInput } from './create-snapshot-step.js';
import { applyRetentionPolicy, snapshotsToDelete, type RetentionCandidate } from './retention.js';
import { retentionPolicyFromInputs, type RetentionPolicy } from './retention-policy.js';
import { PRUNED_VOLUME_KEY, pruneVolumeSnapshots } from './volume-retention.js';

export const PRUNED_KEY = 'pruned_snapshot_ids';
export const PRUNE_ERROR_KEY = 'prune_error';

/** The policy from the saga's inputs, or the reason it cannot be read (reported, never a rollback). */
function policyOf(input: (key: string) => Json | undefined): RetentionPolicy | string {
  try {
    return retentionPolicyFromInputs(input);
  } catch (error) {
    return errorMessage(error);
  }
}

/**
 * The new snapshot counts as the newest even while listings lag behind it: its absence must not let an older one
 * take its place in the buckets.
 */
function withNewSnapshot(
  listed: RetentionCandidate[],
  newId: string,
  name: unknown,
  nowMs: number,
): RetentionCandidate[] {
  if (listed.some((s) => s.id === newId) || typeof name !== 'string') return listed;
  const createdAt = Math.max(nowMs, ...listed.map((s) => Date.parse(s.createdAt)).filter(Number.isFinite));
  return [...listed, { id: newId, name, createdAt: new Date(createdAt).toISOString(), type: 'snapshot' }];
}

/** Volume snapshots pruned, when there were any (sagas without volumes keep their old output). */
function volumesPart(prunedVolumes: string[]): SagaContext {
  return prunedVolumes.length > 0 ? { [PRUNED_VOLUME_KEY]: prunedVolumes } : {};
}

/**
 * Retention, the saga's last step: deletes the arcadia snapshots of the droplet its policy (restic's options, in
 * the saga's inputs) does not keep. Deleting cannot be undone, so it has nothing to compensate, and a failure here
 * is recorded rather than rolling back the snapshot just taken (that would leave the droplet with fewer snapshots
 * than before).
 */
export function createPruneStep(deps: SnapshotStepDependencies): StepDefinition {
  return {
    name: 'prune_snapshots',
    description: 'deletes arcadia snapshots of droplet_provider_id its retention (keep, keep_daily...) drops',
    async execute(ctx): Promise<SagaContext> {
      const api = deps.api(ctx);
      const dropletId = dropletIdInput(ctx);
      const policy = policyOf((key) => ctx.input(key));
      if (typeof policy === 'string') return { [PRUNE_ERROR_KEY]: policy };
      const newId = typeof ctx.context.snapshot_id === 'string' ? ctx.context.snapshot_id : null;
      if (newId === null) return { [PRUNE_ERROR_KEY]: 'no snapshot was recorded: nothing pruned' };
      const pruned = Array.isArray(ctx.context[PRUNED_KEY]) ? (ctx.context[PRUNED_KEY] as string[]).map(String) : [];
      const prunedVolumes = Array.isArray(ctx.context[PRUNED_VOLUME_KEY])
        ? (ctx.context[PRUNED_VOLUME_KEY] as unknown[]).map(String)
        : [];
      try {
        const listed = (await api.listDropletSnapshots(dropletId)).map((s) => ({
          id: String(s.id),
          name: s.name,
          createdAt: s.created_at,
          type: s.type,
        }));
        // Deleted snapshots linger in listings for a while: skip what this step already deleted.
        const remaining = listed.filter((s) => !pruned.includes(s.id));
        const snapshots = withNewSnapshot(remaining, newId, ctx.context.snapshot_name, ctx.clock.now());
        const doomed = snapshotsToDelete(applyRetentionPolicy({ snapshots, dropletId, policy, newSnapshotId: newId }));
        for (const snapshot of doomed) {
          try {
            await api.deleteSnapshot(snapshot.id);
          } catch (error) {
            if (!(error instanceof NotFoundError)) throw error;
          }
          pruned.push(snapshot.id);
          await ctx.checkpoint({ [PRUNED_KEY]: pruned });
          ctx.progress(`pruned snapshot ${snapshot.id} ${snapshot.name}`);
        }
        await pruneVolumeSnapshots(api, ctx, dropletId, policy, prunedVolumes);
        return { [PRUNED_KEY]: pruned, ...volumesPart(prunedVolumes) };
      } catch (error) {
        // A lost lease or a cancel must stop the step as usual; anything else is a retention problem to report.
        if (error instanceof LeaseLostError || ctx.signal.aborted) throw error;
        return { [PRUNED_KEY]: pruned, ...volumesPart(prunedVolumes), [PRUNE_ERROR_KEY]: errorMessage(error) };
      }
    },
    compensate: async () => {},
  };
}
