import type { SagaContext } from '../../engine/types.js';

export interface SnapshotSagaOptions {
  dropletId: number;
  /** The droplet's disk size, so its first snapshot can be timed by droplets of a similar size. */
  diskGigabytes?: number;
  label?: string;
  powerOff: boolean;
  keep?: number;
}

/** The steps and inputs of one droplet's snapshot saga: consistent (power-off) or live, with optional retention. */
export function snapshotSagaTemplate(options: SnapshotSagaOptions): { kind: string; stepNames: string[]; inputs: SagaContext } {
  const stepNames = options.powerOff ? ['power_off_droplet', 'create_droplet_snapshot', 'power_on_droplet'] : ['create_droplet_snapshot'];
  if (options.keep !== undefined) stepNames.push('prune_snapshots');
  const inputs: SagaContext = { droplet_provider_id: options.dropletId };
  if (options.diskGigabytes !== undefined) inputs.disk_gigabytes = options.diskGigabytes;
  if (options.label) inputs.label = options.label;
  if (options.keep !== undefined) inputs.keep = options.keep;
  return { kind: 'snapshot', stepNames, inputs };
}
