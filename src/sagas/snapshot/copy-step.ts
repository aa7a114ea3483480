import { NotFoundError, OutcomeUnknownError } from '../../digitalocean/errors.js';
import { isRegionSlug } from '../../digitalocean/regions.js';
import type { Action } from '../../digitalocean/types.js';
import { failpoint } from '../../engine/failpoint.js';
import type { StepContext, StepDefinition } from '../../engine/step.js';
import type { SagaContext } from '../../engine/types.js';
import type { SnapshotApi, SnapshotStepDependencies } from './api.js';
import {
  CopyToInputError,
  SnapshotNotRecordedError,
  TransferFailedError,
  TransferUnconfirmedError,
} from './copy-errors.js';
import { COPY_TO_INPUT } from './snapshot-saga.js';
import { waitForAction } from './wait.js';

/** Region to the id of the transfer action this saga started (or adopted) for it, checkpointed right after the POST. */
export const TRANSFER_ACTIONS_KEY = 'transfer_actions';
export const COPIED_REGIONS_KEY = 'copied_regions';

/** Transfers that errored or went unanswered before the step gives up on a region. */
const MAX_TRANSFERS = 3;

/** A list of slugs; `saga start --input copy_to=ams3,sfo3` gives them comma-separated. */
export function copyToInput(ctx: Pick<StepContext, 'input'>): string[] {
  const given = ctx.input(COPY_TO_INPUT);
  const raw = typeof given === 'string' ? given.split(',') : given;
  if (!Array.isArray(raw) || !raw.every((r): r is string => typeof r === 'string' && isRegionSlug(r))) {
    throw new CopyToInputError(JSON.stringify(raw)?.slice(0, 80) ?? String(raw));
  }
  return raw;
}

/** The droplet snapshot's id, which the snapshot step recorded before this step. */
function recordedSnapshotId(ctx: Pick<StepContext, 'context' | 'sagaId'>): string {
  const id = ctx.context.snapshot_id;
  if (typeof id !== 'string' || !/^\d+$/.test(id)) throw new SnapshotNotRecordedError(ctx.sagaId);
  return id;
}

function recordedTransfers(context: Readonly<SagaContext>): Record<string, number> {
  const value = context[TRANSFER_ACTIONS_KEY];
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return {};
  return Object.fromEntries(
    Object.entries(value).filter((entry): entry is [string, number] => Number.isSafeInteger(entry[1])),
  );
}

/**
 * A transfer of this image to `region` that did not error: a lost reply's, or an earlier executor's. A completed one
 * counts too: it may have completed after the regions were read, and posting again would copy twice.
 */
async function liveTransfer(api: SnapshotApi, imageId: number, region: string): Promise<Action | undefined> {
  const actions = await api.listImageActions(imageId);
  return actions.find((a) => a.type === 'transfer' && a.status !== 'errored' && a.region_slug === region);
}

/** The image's actions; none once the image is gone. */
async function imageActionsOf(api: SnapshotApi, imageId: number): Promise<Action[]> {
  try {
    return await api.listImageActions(imageId);
  } catch (error) {
    if (error instanceof NotFoundError) return [];
    throw error;
  }
}

async function listsRegion(api: SnapshotApi, snapshotId: string, region: string): Promise<boolean> {
  return (await api.getSnapshot(snapshotId)).regions.includes(region);
}

/**
 * Copies the snapshot to one region, exactly once: before every POST the snapshot's regions and the image's running
 * transfers are read, so neither a lost reply nor a kill leaves two transfers running.
 */
async function copyTo(
  api: SnapshotApi,
  ctx: StepContext,
  snapshotId: string,
  region: string,
  transfers: Record<string, number>,
  deps: SnapshotStepDependencies,
): Promise<void> {
  const imageId = Number(snapshotId);
  let posted = 0;
  for (;;) {
    if (await listsRegion(api, snapshotId, region)) return;
    let actionId = transfers[region] ?? (await liveTransfer(api, imageId, region))?.id;
    if (actionId === undefined) {
      if (posted >= MAX_TRANSFERS) throw new TransferFailedError(snapshotId, region, posted);
      posted++;
      failpoint('transfer.before-post');
      try {
        actionId = (await api.postImageAction(imageId, { type: 'transfer', region })).id;
      } catch (error) {
        if (error instanceof OutcomeUnknownError) continue; // the next lookup finds it, or it never started
        throw error;
      }
      failpoint('transfer.after-post');
    }
    if (transfers[region] !== actionId) {
      transfers[region] = actionId;
      await ctx.checkpoint({ [TRANSFER_ACTIONS_KEY]: { ...transfers } });
      failpoint('transfer.after-checkpoint');
    }
    const done = await waitForAction(api, ctx, await api.getAction(actionId), deps.timings);
    if (done.status === 'errored') {
      ctx.progress(`transfer ${done.id} of snapshot ${snapshotId} to ${region} errored`);
      delete transfers[region];
      await ctx.checkpoint({ [TRANSFER_ACTIONS_KEY]: { ...transfers } });
      if (posted >= MAX_TRANSFERS) throw new TransferFailedError(snapshotId, region, posted);
      continue;
    }
    for (let look = 0; look < deps.timings.lookupAttempts; look++) {
      if (await listsRegion(api, snapshotId, region)) return;
      await ctx.sleep(deps.timings.lookupIntervalMs);
    }
    throw new TransferUnconfirmedError(snapshotId, region, done.id);
  }
}

/**
 * `--copy-to`: after the snapshot succeeded, transfers it to each region and waits. A transfer cannot be undone on
 * its own; compensation waits for running transfers to end, so the snapshot's deletion (by the snapshot step's
 * compensation) removes every copy and nothing is still being copied after the rollback.
 */
export function createCopyStep(deps: SnapshotStepDependencies): StepDefinition {
  return {
    name: 'copy_snapshot_to_regions',
    description: 'transfers the snapshot to each region of copy_to, once each',
    async execute(ctx): Promise<SagaContext> {
      const api = deps.api(ctx);
      const regions = copyToInput(ctx);
      const snapshotId = recordedSnapshotId(ctx);
      const transfers = recordedTransfers(ctx.context);
      for (const region of regions) {
        await copyTo(api, ctx, snapshotId, region, transfers, deps);
        ctx.progress(`snapshot ${snapshotId} copied to ${region}`);
      }
      return { [COPIED_REGIONS_KEY]: regions, [TRANSFER_ACTIONS_KEY]: { ...transfers } };
    },
    async compensate(ctx): Promise<void> {
      const id = ctx.context.snapshot_id;
      if (typeof id !== 'string' || !/^\d+$/.test(id)) return;
      const api = deps.api(ctx);
      const running = new Set(Object.values(recordedTransfers(ctx.context)));
      for (const action of await imageActionsOf(api, Number(id))) {
        if (action.type === 'transfer' && action.status === 'in-progress') running.add(action.id);
      }
      for (const actionId of running) await waitForAction(api, ctx, await api.getAction(actionId), deps.timings);
    },
  };
}
