import { NotFoundError } from '../../digitalocean/errors.js';
import { LeaseLostError, errorMessage } from '../../engine/errors.js';
import type { StepDefinition } from '../../engine/step.js';
import type { SagaContext } from '../../engine/types.js';
import type { SnapshotStepDependencies } from './api.js';
import { dropletIdInput } from './create-snapshot-step.js';
import { snapshotsToPrune } from './retention.js';

export const PRUNED_KEY = 'pruned_snapshot_ids';
export const PRUNE_ERROR_KEY = 'prune_error';

/**
 * Retention, the saga's last step: deletes older arcadia snapshots of the droplet beyond `keep`. Deleting cannot be
 * undone, so it has nothing to compensate, and a failure here is recorded rather than rolling back the snapshot
 * just taken (that would leave the droplet with fewer snapshots than before).
 */
export function createPruneStep(deps: SnapshotStepDependencies): StepDefinition {
  return {
    name: 'prune_snapshots',
    description: 'deletes arcadia snapshots of droplet_provider_id older than the newest `keep`',
    async execute(ctx): Promise<SagaContext> {
      const api = deps.api(ctx);
      const dropletId = dropletIdInput(ctx);
      const keep = Number(ctx.input('keep'));
      if (!Number.isSafeInteger(keep) || keep < 1) return { [PRUNE_ERROR_KEY]: `input keep must be at least 1, got ${String(ctx.input('keep'))}` };
      const newId = typeof ctx.context.snapshot_id === 'string' ? ctx.context.snapshot_id : null;
      if (newId === null) return { [PRUNE_ERROR_KEY]: 'no snapshot was recorded: nothing pruned' };
      const pruned = Array.isArray(ctx.context[PRUNED_KEY]) ? (ctx.context[PRUNED_KEY] as string[]).map(String) : [];
      try {
        const listed = (await api.listDropletSnapshots(dropletId)).map((s) => ({ id: String(s.id), name: s.name, createdAt: s.created_at, type: s.type }));
        // Deleted snapshots linger in listings for a while: skip what this step already deleted.
        const doomed = snapshotsToPrune(listed.filter((s) => !pruned.includes(s.id)), dropletId, keep, newId);
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
        return { [PRUNED_KEY]: pruned };
      } catch (error) {
        // A lost lease or a cancel must stop the step as usual; anything else is a retention problem to report.
        if (error instanceof LeaseLostError || ctx.signal.aborted) throw error;
        return { [PRUNED_KEY]: pruned, [PRUNE_ERROR_KEY]: errorMessage(error) };
      }
    },
    compensate: async () => {},
  };
}
