import type { StepContext } from '../../engine/step.js';
import { RestoreInputError } from './errors.js';
import { defaultRestoreName, isDropletName } from './naming.js';

/** The inputs of a restore or drill saga, under `__inputs__` (ARCHITECTURE.md, "The restore saga"). */
export const RESTORE_INPUTS = {
  snapshotId: 'snapshot_id',
  dropletName: 'droplet_name',
  sizeSlug: 'size_slug',
  region: 'region',
  tags: 'tags',
  /** Drills only: the droplet whose snapshot is drilled. */
  sourceDropletId: 'source_droplet_id',
} as const;

export interface RestoreInputs {
  /** As `/v2/snapshots` gives it: a string of digits. */
  snapshotId: string;
  dropletName: string;
  sizeSlug: string;
  region: string;
  /** The operator's tags; the saga's own tag is added to them. */
  tags: string[];
}

const SLUG = /^[a-z0-9][a-z0-9-]{0,63}$/;
const TAG = /^[a-zA-Z0-9_:-]{1,255}$/;

/** Reads and checks the inputs; a missing name is the saga's default one. */
export function restoreInputs(ctx: Pick<StepContext, 'input' | 'sagaId'>): RestoreInputs {
  const snapshotId = ctx.input(RESTORE_INPUTS.snapshotId);
  const snapshotText = typeof snapshotId === 'number' ? String(snapshotId) : snapshotId;
  if (typeof snapshotText !== 'string' || !/^[1-9][0-9]{0,15}$/.test(snapshotText))
    throw new RestoreInputError(RESTORE_INPUTS.snapshotId, "a droplet snapshot's id (digits)", snapshotId);
  const name = ctx.input(RESTORE_INPUTS.dropletName) ?? defaultRestoreName(ctx.sagaId);
  if (typeof name !== 'string' || !isDropletName(name))
    throw new RestoreInputError(RESTORE_INPUTS.dropletName, 'a droplet name', name);
  const sizeSlug = ctx.input(RESTORE_INPUTS.sizeSlug);
  if (typeof sizeSlug !== 'string' || !SLUG.test(sizeSlug))
    throw new RestoreInputError(RESTORE_INPUTS.sizeSlug, 'a size slug', sizeSlug);
  const region = ctx.input(RESTORE_INPUTS.region);
  if (typeof region !== 'string' || !SLUG.test(region))
    throw new RestoreInputError(RESTORE_INPUTS.region, 'a region slug', region);
  const tags = ctx.input(RESTORE_INPUTS.tags) ?? [];
  if (!Array.isArray(tags) || !tags.every((tag): tag is string => typeof tag === 'string' && TAG.test(tag)))
    throw new RestoreInputError(RESTORE_INPUTS.tags, 'a list of tag names', tags);
  return { snapshotId: snapshotText, dropletName: name, sizeSlug, region, tags };
}
