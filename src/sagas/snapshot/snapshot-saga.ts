import type { SagaContext } from '../../engine/types.js';
import { retentionInputs, type RetentionPolicy } from './retention-policy.js';

export interface SnapshotSagaOptions {
  dropletId: number;
  /** The droplet's disk size, so its first snapshot can be timed by droplets of a similar size. */
  diskGigabytes?: number;
  /** Only a label for monitoring (the metrics file); nothing acts on it. */
  dropletName?: string;
  label?: string;
  powerOff: boolean;
  /** Retention after the snapshot: the prune step, last, reads it from the inputs. */
  retention?: RetentionPolicy;
  /** Also snapshot every attached volume (`--with-volumes`). */
  withVolumes?: boolean;
  /** Regions the snapshot is copied to once made (`--copy-to`). */
  copyTo?: string[];
}

/** The input naming the regions of `--copy-to`. */
export const COPY_TO_INPUT = 'copy_to';
export const WITH_VOLUMES_INPUT = 'with_volumes';

/**
 * The steps and inputs of one droplet's snapshot saga: consistent (power-off) or live, with optional volumes, copies
 * and retention. Volumes are snapshotted before power_on, so droplet and volumes show one instant; copies run after
 * the droplet is back on; retention stays last because deleting cannot be undone.
 */
export function snapshotSagaTemplate(options: SnapshotSagaOptions): {
  kind: string;
  stepNames: string[];
  inputs: SagaContext;
} {
  const stepNames = ['create_droplet_snapshot'];
  if (options.withVolumes) stepNames.push('create_volume_snapshots');
  if (options.powerOff) stepNames.unshift('power_off_droplet');
  if (options.powerOff) stepNames.push('power_on_droplet');
  if (options.copyTo !== undefined && options.copyTo.length > 0) stepNames.push('copy_snapshot_to_regions');
  if (options.retention !== undefined) stepNames.push('prune_snapshots');
  const inputs: SagaContext = { droplet_provider_id: options.dropletId };
  if (options.diskGigabytes !== undefined) inputs.disk_gigabytes = options.diskGigabytes;
  if (options.dropletName !== undefined) inputs.droplet_name = options.dropletName;
  if (options.label) inputs.label = options.label;
  if (options.withVolumes) inputs[WITH_VOLUMES_INPUT] = true;
  if (options.copyTo !== undefined && options.copyTo.length > 0) inputs[COPY_TO_INPUT] = [...options.copyTo];
  if (options.retention !== undefined) Object.assign(inputs, retentionInputs(options.retention));
  return { kind: 'snapshot', stepNames, inputs };
}

/** Every step list the template can produce, for checking a saga read from the ledger. */
export function snapshotStepVariants(): string[][] {
  const variants: string[][] = [];
  for (const powerOff of [false, true]) {
    for (const withVolumes of [false, true]) {
      for (const copyTo of [undefined, ['x']]) {
        for (const retention of [undefined, { keepLast: 1 }]) {
          variants.push(snapshotSagaTemplate({ dropletId: 0, powerOff, withVolumes, copyTo, retention }).stepNames);
        }
      }
    }
  }
  return variants;
}
