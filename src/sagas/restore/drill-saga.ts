import { RESTORE_INPUTS } from './inputs.js';
import { restoreInputsOf, type RestoreSagaOptions, type SagaTemplate } from './restore-saga.js';

export const DRILL_SAGA = {
  kind: 'drill',
  stepNames: ['create_droplet_from_snapshot', 'wait_droplet_active', 'delete_restored_droplet'],
} as const;

export interface DrillSagaOptions extends RestoreSagaOptions {
  /** The droplet whose snapshot is drilled, for the drill history and `check --drill-warn`. */
  sourceDropletId: number;
}

/**
 * A restore drill: the snapshot restored into a temporary droplet, waited for until active (the time recorded), then
 * deleted, in one saga, so a crash anywhere is resumed or rolled back and never leaves the droplet running.
 */
export function drillSagaSteps(options: DrillSagaOptions): SagaTemplate {
  return {
    kind: DRILL_SAGA.kind,
    stepNames: [...DRILL_SAGA.stepNames],
    inputs: { ...restoreInputsOf(options), [RESTORE_INPUTS.sourceDropletId]: options.sourceDropletId },
  };
}
