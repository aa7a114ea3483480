import { NotFoundError } from '../../digitalocean/errors.js';
import { failpoint } from '../../engine/failpoint.js';
import type { StepContext, StepDefinition } from '../../engine/step.js';
import type { SagaContext } from '../../engine/types.js';
import type { RestoreStepDependencies } from './api.js';
import { DropletStillPresentError } from './errors.js';
import { RESTORE_KEYS } from './progress.js';
import { recordedDroplet } from './recorded.js';

/**
 * A drill's last step: deletes the droplet the saga restored (404 is success, a repeat after a crash included), then
 * polls until `GET` says 404, since a deleted droplet stays visible a short while (ARCHITECTURE.md). Only the
 * recorded droplet, which the create step proved its own, is deleted.
 */
async function executeDelete(ctx: StepContext, deps: RestoreStepDependencies): Promise<SagaContext> {
  const { dropletId } = recordedDroplet(ctx.context);
  const api = deps.api(ctx);
  let deletedAt = ctx.context[RESTORE_KEYS.deletedAt];
  if (typeof deletedAt !== 'number') {
    failpoint('restore.delete-before');
    try {
      await api.deleteDroplet(dropletId);
    } catch (error) {
      if (!(error instanceof NotFoundError)) throw error;
    }
    deletedAt = ctx.clock.now();
    await ctx.checkpoint({ [RESTORE_KEYS.deletedAt]: deletedAt });
    failpoint('restore.delete-after');
  }
  const { pollIntervalMs, restoreTimeoutMs } = deps.timings;
  const start = ctx.clock.now();
  for (;;) {
    try {
      await api.getDroplet(dropletId);
    } catch (error) {
      if (error instanceof NotFoundError) return { [RESTORE_KEYS.deletedAt]: deletedAt };
      throw error;
    }
    const waited = ctx.clock.now() - start;
    if (waited >= restoreTimeoutMs) throw new DropletStillPresentError(dropletId, waited);
    ctx.progress(`droplet ${dropletId} deleted; waiting for it to be gone`);
    await ctx.sleep(Math.min(pollIntervalMs, Math.max(1, restoreTimeoutMs - waited)));
  }
}

export function deleteRestoredDropletStep(deps: RestoreStepDependencies): StepDefinition {
  return {
    name: 'delete_restored_droplet',
    description: 'deletes the droplet the drill restored and waits until it is gone',
    execute: (ctx) => executeDelete(ctx, deps),
    // a deleted droplet cannot be brought back; create_droplet_from_snapshot's compensation finds nothing left
    compensate: async () => {},
  };
}
