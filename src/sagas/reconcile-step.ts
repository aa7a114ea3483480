import { NotFoundError } from '../digitalocean/errors.js';
import type { StepContext, StepDefinition } from '../engine/step.js';
import type { Json } from '../engine/types.js';
import type { SnapshotApi } from './snapshot/api.js';
import { parseSnapshotName } from './snapshot/naming.js';

export const DELETED_LEAKS_KEY = 'deleted_snapshot_ids';

function stringList(value: Json | undefined): string[] {
  return Array.isArray(value) ? value.map(String) : [];
}

/**
 * Deletes snapshots `arcadia reconcile` found leaked. Each one's name is read again right before deleting it, so
 * nothing arcadia did not make is ever deleted, whatever happened since the listing.
 */
export function createDeleteLeaksStep(api: (ctx: StepContext) => SnapshotApi): StepDefinition {
  return {
    name: 'delete_leaked_snapshots',
    description: 'deletes the leaked arcadia snapshots listed in snapshot_ids',
    async execute(ctx) {
      const deleted = stringList(ctx.context[DELETED_LEAKS_KEY]);
      for (const id of stringList(ctx.input('snapshot_ids'))) {
        if (deleted.includes(id)) continue;
        try {
          const snapshot = await api(ctx).getSnapshot(id);
          if (!parseSnapshotName(snapshot.name)) continue;
          await api(ctx).deleteSnapshot(id);
        } catch (error) {
          if (!(error instanceof NotFoundError)) throw error;
        }
        deleted.push(id);
        await ctx.checkpoint({ [DELETED_LEAKS_KEY]: deleted });
        ctx.progress(`deleted leaked snapshot ${id}`);
      }
      return { [DELETED_LEAKS_KEY]: deleted };
    },
    // A deletion cannot be undone; there is nothing to compensate.
    compensate: async () => {},
  };
}
