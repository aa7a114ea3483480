import type { Settings } from '../config.js';
import { StepRegistry, type StepContext } from '../engine/step.js';
import type { DigitalOceanClient } from '../digitalocean/client.js';
import { requestGuardOf, type SnapshotApi } from './snapshot/api.js';
import { createSnapshotStep } from './snapshot/create-snapshot-step.js';
import { createPowerOffStep, createPowerOnStep } from './snapshot/power-steps.js';
import { createPruneStep } from './snapshot/prune-step.js';
import { testSteps } from './test-steps.js';
import { createDeleteLeaksStep } from './reconcile-step.js';

export interface StepDependencies {
  settings: Settings;
  /** The DigitalOcean client, created on first use so sagas of test steps need no token. */
  api(): Pick<DigitalOceanClient, 'withGuard'>;
  snapshotHistory(dropletId: number, diskGigabytes?: number): number[];
}

/** Every step arcadia knows, by the stable name stored in the ledger. */
export function buildStepRegistry(deps: StepDependencies): StepRegistry {
  // Every step's requests are fenced by its own lease: a batch's sagas share one client (and its pacer), not a lease.
  const api = (ctx: StepContext): SnapshotApi => deps.api().withGuard(requestGuardOf(ctx));
  const snapshotDeps = {
    api,
    snapshotHistory: deps.snapshotHistory,
    timings: {
      pollIntervalMs: deps.settings.pollIntervalMs,
      actionTimeoutMs: deps.settings.actionTimeoutMs,
      lookupAttempts: deps.settings.lookupAttempts,
      lookupIntervalMs: deps.settings.lookupIntervalMs,
      shutdownTimeoutMs: deps.settings.shutdownTimeoutMs,
    },
  };
  const registry = new StepRegistry();
  for (const step of testSteps) registry.register(step);
  registry.register(createSnapshotStep(snapshotDeps));
  registry.register(createPowerOffStep(snapshotDeps));
  registry.register(createPowerOnStep(snapshotDeps));
  registry.register(createPruneStep(snapshotDeps));
  registry.register(createDeleteLeaksStep(api));
  return registry;
}
