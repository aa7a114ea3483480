import { ConflictError, NotFoundError, OutcomeUnknownError } from '../../digitalocean/errors.js';
import type { Snapshot } from '../../digitalocean/types.js';
import { failpoint } from '../../engine/failpoint.js';
import type { StepContext, StepDefinition } from '../../engine/step.js';
import type { SagaContext } from '../../engine/types.js';
import type { SnapshotApi, SnapshotStepDependencies, VolumeLimits } from './api.js';
import { dropletIdInput } from './create-snapshot-step.js';
import {
  VolumeSnapshotLimitError,
  VolumeSnapshotTooSoonError,
  VolumeSnapshotUnconfirmedError,
} from './volume-errors.js';
import { volumeSnapshotName } from './volume-naming.js';

/** The volumes attached when the step first ran: recorded before any POST, so compensation knows where to look. */
export const VOLUME_IDS_KEY = 'volume_ids';
/** Volume id to the id of its snapshot taken by this saga. */
export const VOLUME_SNAPSHOTS_KEY = 'volume_snapshots';

/** POSTs without a reply (or answered 409 while the listing lags) before the step gives up on a volume. */
const MAX_ATTEMPTS = 5;

export function recordedVolumeIds(context: Readonly<SagaContext>): string[] | undefined {
  const ids = context[VOLUME_IDS_KEY];
  return Array.isArray(ids) && ids.every((id) => typeof id === 'string') ? (ids as string[]) : undefined;
}

export function recordedVolumeSnapshots(context: Readonly<SagaContext>): Record<string, string> {
  const made = context[VOLUME_SNAPSHOTS_KEY];
  if (typeof made !== 'object' || made === null || Array.isArray(made)) return {};
  return Object.fromEntries(
    Object.entries(made).filter((entry): entry is [string, string] => typeof entry[1] === 'string'),
  );
}

/** Refuses before the POST what DigitalOcean would refuse after it, with words that say what to do. */
function checkLimits(listed: Snapshot[], volumeId: string, now: number, limits: VolumeLimits): void {
  if (listed.length >= limits.snapshotsPerVolume) {
    throw new VolumeSnapshotLimitError(volumeId, listed.length, limits.snapshotsPerVolume);
  }
  const times = listed.map((s) => Date.parse(s.created_at)).filter(Number.isFinite);
  const newest = times.length > 0 ? Math.max(...times) : undefined;
  if (newest !== undefined && now - newest < limits.intervalMs) {
    throw new VolumeSnapshotTooSoonError(volumeId, new Date(newest).toISOString(), limits.intervalMs);
  }
}

/**
 * One volume's snapshot, exactly once: the name is unique per volume, so it is looked up before every POST, and a
 * 409 or a lost reply sends the step back to the lookup instead of posting blindly.
 */
async function snapshotVolume(
  api: SnapshotApi,
  ctx: StepContext,
  volumeId: string,
  name: string,
  deps: SnapshotStepDependencies,
): Promise<string> {
  for (let attempt = 1; ; attempt++) {
    const listed = await api.listVolumeSnapshots(volumeId);
    const own = listed.find((s) => s.name === name);
    if (own) return own.id;
    if (attempt > MAX_ATTEMPTS) throw new VolumeSnapshotUnconfirmedError(volumeId, name, MAX_ATTEMPTS);
    if (attempt > 1) await ctx.sleep(deps.timings.lookupIntervalMs);
    checkLimits(listed, volumeId, ctx.clock.now(), deps.volumeLimits);
    failpoint('volume-snapshot.before-post');
    try {
      const created = await api.createVolumeSnapshot(volumeId, name);
      failpoint('volume-snapshot.after-post');
      return created.id;
    } catch (error) {
      // both mean "it may exist": the next lookup tells
      if (!(error instanceof ConflictError) && !(error instanceof OutcomeUnknownError)) throw error;
      ctx.progress(`volume ${volumeId}: ${error instanceof ConflictError ? '409' : 'no reply'}; looking ${name} up`);
    }
  }
}

/** Snapshots carrying the saga's name for the volume; an unknown volume has none. */
async function snapshotsNamed(api: SnapshotApi, volumeId: string, name: string): Promise<string[]> {
  try {
    return (await api.listVolumeSnapshots(volumeId)).filter((s) => s.name === name).map((s) => s.id);
  } catch (error) {
    if (error instanceof NotFoundError) return [];
    throw error;
  }
}

/**
 * Snapshots every volume attached to the droplet (a droplet snapshot does not include them), in the same saga and,
 * under --power-off, while the droplet is still off. Compensation deletes them by recorded id and by name.
 */
export function createVolumeSnapshotsStep(deps: SnapshotStepDependencies): StepDefinition {
  return {
    name: 'create_volume_snapshots',
    description: 'snapshots every volume attached to droplet_provider_id, once each',
    async execute(ctx): Promise<SagaContext> {
      const api = deps.api(ctx);
      const dropletId = dropletIdInput(ctx);
      let volumeIds = recordedVolumeIds(ctx.context);
      if (volumeIds === undefined) {
        volumeIds = [...((await api.getDroplet(dropletId)).volume_ids ?? [])];
        await ctx.checkpoint({ [VOLUME_IDS_KEY]: volumeIds });
      }
      const made = recordedVolumeSnapshots(ctx.context);
      for (const volumeId of volumeIds) {
        if (made[volumeId] !== undefined) continue;
        const name = volumeSnapshotName(dropletId, ctx.sagaId, volumeId);
        made[volumeId] = await snapshotVolume(api, ctx, volumeId, name, deps);
        await ctx.checkpoint({ [VOLUME_SNAPSHOTS_KEY]: { ...made } });
        failpoint('volume-snapshot.after-checkpoint');
        ctx.progress(`volume ${volumeId}: snapshot ${made[volumeId]} ${name}`);
      }
      return { [VOLUME_SNAPSHOTS_KEY]: { ...made } };
    },
    async compensate(ctx): Promise<void> {
      const api = deps.api(ctx);
      const dropletId = dropletIdInput(ctx);
      const recorded = recordedVolumeSnapshots(ctx.context);
      // no recorded volume list: the step stopped before its first POST
      for (const volumeId of recordedVolumeIds(ctx.context) ?? []) {
        const name = volumeSnapshotName(dropletId, ctx.sagaId, volumeId);
        const ids = new Set(await snapshotsNamed(api, volumeId, name));
        const own = recorded[volumeId];
        if (own !== undefined) ids.add(own);
        for (const id of ids) {
          failpoint('volume-snapshot.compensate-before-delete');
          try {
            await api.deleteVolumeSnapshot(id);
          } catch (error) {
            if (!(error instanceof NotFoundError)) throw error;
          }
        }
      }
    },
  };
}
