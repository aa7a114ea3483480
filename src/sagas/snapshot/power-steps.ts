import { PendingEventError, UnprocessableError } from '../../digitalocean/errors.js';
import type { Action } from '../../digitalocean/types.js';
import { StepFailedError } from '../../engine/errors.js';
import type { StepContext, StepDefinition } from '../../engine/step.js';
import type { SnapshotApi, SnapshotStepDependencies } from './api.js';
import { dropletIdInput } from './create-snapshot-step.js';
import { waitForAction } from './wait.js';

/**
 * True once arcadia decided to turn the droplet off; recorded before the first power request so a crash cannot lose it.
 */
export const POWERED_OFF_KEY = 'powered_off_by_arcadia';

type PowerAction = 'shutdown' | 'power_off' | 'power_on';

/** Posts a power action, waiting out another action's lock; "already in that state" counts as done. */
async function postPowerAction(
  api: SnapshotApi,
  ctx: StepContext,
  dropletId: number,
  type: PowerAction,
  deps: SnapshotStepDependencies,
): Promise<Action | undefined> {
  const start = ctx.clock.now();
  for (;;) {
    try {
      return await api.postDropletAction(dropletId, { type });
    } catch (error) {
      if (error instanceof UnprocessableError && /already powered (off|on)/i.test(error.message)) return undefined;
      if (!(error instanceof PendingEventError)) throw error;
      if (ctx.clock.now() - start > deps.timings.actionTimeoutMs) throw error;
      ctx.progress(`droplet ${dropletId} is busy with another action; waiting to ${type}`);
      await ctx.sleep(deps.timings.pollIntervalMs);
    }
  }
}

/** The droplet's status lags its power actions a little: wait for the status itself (ARCHITECTURE.md). */
async function waitForStatus(
  api: SnapshotApi,
  ctx: StepContext,
  dropletId: number,
  status: 'off' | 'active',
  timeoutMs: number,
  pollMs: number,
): Promise<boolean> {
  const start = ctx.clock.now();
  for (;;) {
    if ((await api.getDroplet(dropletId)).status === status) return true;
    if (ctx.clock.now() - start >= timeoutMs) return false;
    await ctx.sleep(pollMs);
  }
}

async function runPowerAction(
  api: SnapshotApi,
  ctx: StepContext,
  dropletId: number,
  type: PowerAction,
  deps: SnapshotStepDependencies,
): Promise<void> {
  const action = await postPowerAction(api, ctx, dropletId, type, deps);
  if (!action) return;
  const done = await waitForAction(api, ctx, action, deps.timings);
  if (done.status === 'errored')
    throw new StepFailedError(`DigitalOcean reports ${type} action ${done.id} on droplet ${dropletId} errored`);
}

async function powerOn(
  api: SnapshotApi,
  ctx: StepContext,
  dropletId: number,
  deps: SnapshotStepDependencies,
): Promise<void> {
  if ((await api.getDroplet(dropletId)).status === 'active') return;
  await runPowerAction(api, ctx, dropletId, 'power_on', deps);
  if (
    !(await waitForStatus(api, ctx, dropletId, 'active', deps.timings.actionTimeoutMs, deps.timings.pollIntervalMs))
  ) {
    throw new StepFailedError(`droplet ${dropletId} did not come back on`);
  }
}

/**
 * Graceful first: `shutdown`, then `power_off` if the droplet is still on after the shutdown timeout. A droplet
 * that was already off is left as it is, and the next steps know not to turn it on.
 */
export function createPowerOffStep(deps: SnapshotStepDependencies): StepDefinition {
  return {
    name: 'power_off_droplet',
    description: 'shuts droplet_provider_id down (graceful, then hard) for a consistent snapshot',
    async execute(ctx) {
      const api = deps.api(ctx);
      const dropletId = dropletIdInput(ctx);
      if (ctx.context[POWERED_OFF_KEY] === undefined) {
        const wasOn = (await api.getDroplet(dropletId)).status !== 'off';
        await ctx.checkpoint({ [POWERED_OFF_KEY]: wasOn });
        if (!wasOn) return {};
      } else if (ctx.context[POWERED_OFF_KEY] === false) {
        return {};
      }
      if ((await api.getDroplet(dropletId)).status === 'off') return {};
      await runPowerAction(api, ctx, dropletId, 'shutdown', deps);
      if (await waitForStatus(api, ctx, dropletId, 'off', deps.timings.shutdownTimeoutMs, deps.timings.pollIntervalMs))
        return {};
      ctx.progress(`droplet ${dropletId} still on after a graceful shutdown; powering it off`);
      await runPowerAction(api, ctx, dropletId, 'power_off', deps);
      if (
        !(await waitForStatus(api, ctx, dropletId, 'off', deps.timings.actionTimeoutMs, deps.timings.pollIntervalMs))
      ) {
        throw new StepFailedError(`droplet ${dropletId} did not power off`);
      }
      return {};
    },
    async compensate(ctx) {
      if (ctx.context[POWERED_OFF_KEY] !== true) return;
      await powerOn(deps.api(ctx), ctx, dropletIdInput(ctx), deps);
    },
  };
}

/** Turns the droplet back on, but only if arcadia turned it off. */
export function createPowerOnStep(deps: SnapshotStepDependencies): StepDefinition {
  return {
    name: 'power_on_droplet',
    description: 'powers droplet_provider_id back on if arcadia powered it off',
    async execute(ctx) {
      if (ctx.context[POWERED_OFF_KEY] === true) await powerOn(deps.api(ctx), ctx, dropletIdInput(ctx), deps);
      return {};
    },
    // Undoing "turn it back on" would leave a production droplet off; the power-off step's own undo turns it on.
    compensate: async () => {},
  };
}
