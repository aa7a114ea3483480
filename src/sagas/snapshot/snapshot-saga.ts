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
}

/** The steps and inputs of one droplet's snapshot saga: consistent (power-off) or live, with optional retention. */
export function snapshotSagaTemplate(options: SnapshotSagaOptions): {
  kind: string;
  stepNames: string[];
  inputs: SagaContext;
} {
  const stepNames = options.powerOff
    ? ['power_off_droplet', 'create_droplet_snapshot', 'power_on_droplet']
    : ['create_droplet_snapshot'];
  if (options.retention !== undefined) stepNames.push('prune_snapshots');
  const inputs: SagaContext = { droplet_provider_id: options.dropletId };
  if (options.diskGigabytes !== undefined) inputs.disk_gigabytes = options.diskGigabytes;
  if (options.dropletName !== undefined) inputs.droplet_name = options.dropletName;
  if (options.label) inputs.label = options.label;
  if (options.retention !== undefined) Object.assign(inputs, retentionInputs(options.retention));
  return { kind: 'snapshot', stepNames, inputs };
}
