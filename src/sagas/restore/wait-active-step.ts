import { NotFoundError } from '../../digitalocean/errors.js';
import { failpoint } from '../../engine/failpoint.js';
import type { StepContext, StepDefinition } from '../../engine/step.js';
import type { SagaContext } from '../../engine/types.js';
import type { RestoreStepDependencies } from './api.js';
import { DropletCreateErroredError, DropletNotActiveError, RestoredDropletNotFoundError } from './errors.js';
import { RESTORE_KEYS } from './progress.js';
import { recordedDroplet } from './recorded.js';

/**
 * Waits until the restored droplet is `active` and unlocked (ARCHITECTURE.md): the create action is polled while it
 * runs (an errored one fails the step, and compensation deletes the droplet), then the droplet itself, whose GET may
 * answer 404 for a while right after the create. Records `active_after_ms`, from the request to the first poll that
 * saw the droplet up (so at most a poll interval late, later after a crash).
 */
async function executeWait(ctx: StepContext, deps: RestoreStepDependencies): Promise<SagaContext> {
  const { dropletId, actionId, requestedAt } = recordedDroplet(ctx.context);
  const api = deps.api(ctx);
  const { pollIntervalMs, restoreTimeoutMs, notFoundChecks } = deps.timings;
  const start = ctx.clock.now();
  let actionDone = actionId === null;
  let notFound = 0;
  let status = 'new';
  // a droplet is never up the instant it is requested: the first poll waits a poll interval from the request
  const sinceRequest = requestedAt === null ? pollIntervalMs : start - requestedAt;
  if (sinceRequest < pollIntervalMs) await ctx.sleep(pollIntervalMs - sinceRequest);
  for (;;) {
    if (!actionDone && actionId !== null) {
      const action = await api.getAction(actionId);
      if (action.status === 'errored') throw new DropletCreateErroredError(dropletId, actionId);
      actionDone = action.status === 'completed';
    }
    if (actionDone) {
      try {
        const droplet = await api.getDroplet(dropletId);
        status = droplet.locked ? `${droplet.status} and locked` : droplet.status;
        if (droplet.status === 'active' && !droplet.locked) {
          const activeAfterMs = Math.max(0, ctx.clock.now() - (requestedAt ?? ctx.startedAt));
          ctx.progress(`droplet ${dropletId} is active after ${Math.round(activeAfterMs / 1000)}s`);
          return { [RESTORE_KEYS.activeAfterMs]: activeAfterMs };
        }
      } catch (error) {
        if (!(error instanceof NotFoundError)) throw error;
        if (++notFound > notFoundChecks) throw new RestoredDropletNotFoundError(dropletId, notFound);
      }
    }
    failpoint('restore.wait-polled');
    const waited = ctx.clock.now() - start;
    if (waited >= restoreTimeoutMs) throw new DropletNotActiveError(dropletId, status, waited);
    ctx.progress(`droplet ${dropletId} is ${status}; waiting`);
    await ctx.sleep(Math.min(pollIntervalMs, Math.max(1, restoreTimeoutMs - waited)));
  }
}

export function waitDropletActiveStep(deps: RestoreStepDependencies): StepDefinition {
  return {
    name: 'wait_droplet_active',
    description: 'waits until the restored droplet is active and unlocked; records active_after_ms',
    execute: (ctx) => executeWait(ctx, deps),
    // waiting changed nothing; create_droplet_from_snapshot's compensation deletes the droplet
    compensate: async () => {},
  };
}
