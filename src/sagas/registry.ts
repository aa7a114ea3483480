import type { Settings } from '../config.js';
import { StepRegistry } from '../engine/step.js';
import { testSteps } from './test-steps.js';

export interface StepDependencies {
  env: NodeJS.ProcessEnv;
  settings: Settings;
}

/** Every step arcadia knows, by the stable name stored in the ledger. */
export function buildStepRegistry(_deps: StepDependencies): StepRegistry {
  const registry = new StepRegistry();
  for (const step of testSteps) registry.register(step);
  return registry;
}
