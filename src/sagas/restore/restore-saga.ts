import type { SagaContext } from '../../engine/types.js';
import { RESTORE_INPUTS } from './inputs.js';

/** What one restore (or drill) is made of: the commands fill in the defaults before the saga exists. */
export interface RestoreSagaOptions {
  /** As `/v2/snapshots` gives it: digits. */
  snapshotId: string;
  dropletName: string;
  sizeSlug: string;
  region: string;
  /** The operator's tags; the saga's own `arcadia-saga-<id>` is added by the create step. */
  tags: string[];
}

export interface SagaTemplate {
  kind: string;
  stepNames: string[];
  inputs: SagaContext;
}

export const RESTORE_SAGA = {
  kind: 'restore',
  stepNames: ['create_droplet_from_snapshot', 'wait_droplet_active'],
} as const;

export function restoreInputsOf(options: RestoreSagaOptions): SagaContext {
  return {
    [RESTORE_INPUTS.snapshotId]: options.snapshotId,
    [RESTORE_INPUTS.dropletName]: options.dropletName,
    [RESTORE_INPUTS.sizeSlug]: options.sizeSlug,
    [RESTORE_INPUTS.region]: options.region,
    [RESTORE_INPUTS.tags]: [...options.tags],
  };
}

/** `arcadia restore`: a droplet from a snapshot, kept. */
export function restoreSagaSteps(options: RestoreSagaOptions): SagaTemplate {
  return { kind: RESTORE_SAGA.kind, stepNames: [...RESTORE_SAGA.stepNames], inputs: restoreInputsOf(options) };
}
