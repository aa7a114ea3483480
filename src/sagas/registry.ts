import type { Settings } from '../config.js';
import { SagaStepNotKnownError } from '../engine/errors.js';
import { StepRegistry, type StepContext } from '../engine/step.js';
import { SAGA_KINDS, type SagaRecord } from '../engine/types.js';
import type { DigitalOceanClient } from '../digitalocean/client.js';
import { requestGuardOf, type SnapshotApi } from './snapshot/api.js';
import { createCopyStep } from './snapshot/copy-step.js';
import { createSnapshotStep } from './snapshot/create-snapshot-step.js';
import type { SnapshotWatcher } from './snapshot/fleet-watcher.js';
import { createPowerOffStep, createPowerOnStep } from './snapshot/power-steps.js';
import { createPruneStep } from './snapshot/prune-step.js';
import { testSteps } from './test-steps.js';
import { createDeleteLeaksStep } from './reconcile-step.js';
import { createDeleteLeakedDropletsStep } from './reconcile-droplets-step.js';
import { snapshotStepVariants } from './snapshot/snapshot-saga.js';
import { createVolumeSnapshotsStep } from './snapshot/volume-snapshot-step.js';
import { SagaTemplateMismatchError } from './template-errors.js';
import type { RestoreApi } from './restore/api.js';
import { createDropletFromSnapshotStep } from './restore/create-droplet-step.js';
import { deleteRestoredDropletStep } from './restore/delete-droplet-step.js';
import { DRILL_SAGA } from './restore/drill-saga.js';
import { RESTORE_SAGA } from './restore/restore-saga.js';
import { waitDropletActiveStep } from './restore/wait-active-step.js';

export interface StepDependencies {
  settings: Settings;
  /** The DigitalOcean client, created on first use so sagas of test steps need no token. */
  api(): Pick<DigitalOceanClient, 'withGuard'>;
  snapshotHistory(dropletId: number, diskGigabytes?: number): Promise<number[]>;
  /** The running batch's fleet watcher, if any (ARCHITECTURE.md, "The fleet watcher"). */
  snapshotWatcher?(): SnapshotWatcher | undefined;
}

/** Every step arcadia knows, by the stable name stored in the ledger. */
export function buildStepRegistry(deps: StepDependencies): StepRegistry {
  // Every step's requests are fenced by its own lease: a batch's sagas share one client (and its pacer), not a lease.
  const api = (ctx: StepContext): SnapshotApi => deps.api().withGuard(requestGuardOf(ctx));
  const snapshotDeps = {
    api,
    snapshotHistory: deps.snapshotHistory,
    watcher: () => deps.snapshotWatcher?.(),
    timings: {
      pollIntervalMs: deps.settings.pollIntervalMs,
      pollGrowth: deps.settings.pollGrowthPercent / 100,
      actionTimeoutMs: deps.settings.actionTimeoutMs,
      lookupAttempts: deps.settings.lookupAttempts,
      lookupIntervalMs: deps.settings.lookupIntervalMs,
      shutdownTimeoutMs: deps.settings.shutdownTimeoutMs,
    },
    volumeLimits: {
      snapshotsPerVolume: deps.settings.volumeSnapshotLimit,
      intervalMs: deps.settings.volumeSnapshotIntervalMs,
    },
  };
  const registry = new StepRegistry();
  for (const step of testSteps) registry.register(step);
  registry.register(createSnapshotStep(snapshotDeps));
  registry.register(createPowerOffStep(snapshotDeps));
  registry.register(createPowerOnStep(snapshotDeps));
  registry.register(createVolumeSnapshotsStep(snapshotDeps));
  registry.register(createCopyStep(snapshotDeps));
  registry.register(createPruneStep(snapshotDeps));
  registry.register(createDeleteLeaksStep(api));
  const restoreDeps = {
    api: (ctx: StepContext): RestoreApi => deps.api().withGuard(requestGuardOf(ctx)),
    timings: {
      pollIntervalMs: deps.settings.pollIntervalMs,
      lookupAttempts: deps.settings.lookupAttempts,
      lookupIntervalMs: deps.settings.lookupIntervalMs,
      restoreTimeoutMs: deps.settings.restoreTimeoutMs,
      notFoundChecks: deps.settings.restoreNotFoundChecks,
    },
  };
  registry.register(createDropletFromSnapshotStep(restoreDeps));
  registry.register(waitDropletActiveStep(restoreDeps));
  registry.register(deleteRestoredDropletStep(restoreDeps));
  registry.register(createDeleteLeakedDropletsStep(restoreDeps.api));
  return registry;
}

/** The reconcile saga: deletes the leaks `reconcile --delete` found. */
export const RECONCILE_SAGA = { kind: 'reconcile', stepNames: ['delete_leaked_snapshots'] } as const;

/** Every step list `reconcile --delete` builds: leaked snapshots, leaked restore droplets, or both. */
const RECONCILE_VARIANTS = [
  [...RECONCILE_SAGA.stepNames],
  ['delete_leaked_droplets'],
  [...RECONCILE_SAGA.stepNames, 'delete_leaked_droplets'],
];

/**
 * The step lists of the kinds arcadia builds itself, every variant: a saga of such a kind must have one of them.
 * Other kinds are the engine's own (`saga start`), which may list any registered steps.
 */
function builtStepLists(): ReadonlyMap<string, string[][]> {
  return new Map([
    ['snapshot', snapshotStepVariants()],
    [RECONCILE_SAGA.kind, RECONCILE_VARIANTS],
    [RESTORE_SAGA.kind, [[...RESTORE_SAGA.stepNames]]],
    [DRILL_SAGA.kind, [[...DRILL_SAGA.stepNames]]],
  ]);
}

/**
 * The names of the steps `buildStepRegistry` registers, known before anything opens, so a mistyped step is refused
 * before the ledger is touched. Building a step uses none of its dependencies; running one would.
 */
export function registeredStepNames(settings: Settings): string[] {
  const unused = (): never => {
    throw new Error('listing step names needs no dependency');
  };
  return buildStepRegistry({ settings, api: unused, snapshotHistory: unused }).names();
}

/** Why a kind and step list match no registered saga template, or null when they match one. */
export function sagaTemplateProblem(kind: string, stepNames: readonly string[]): string | null {
  if (!(SAGA_KINDS as readonly string[]).includes(kind)) return `"${kind.slice(0, 40)}" is not a saga kind`;
  if (stepNames.length === 0) return 'it has no steps';
  const variants = builtStepLists().get(kind);
  if (variants && !variants.some((v) => v.length === stepNames.length && v.every((name, i) => name === stepNames[i]))) {
    return `a ${kind} saga has the steps ${variants.map((v) => `[${v.join(', ')}]`).join(' or ')}`;
  }
  return null;
}

/**
 * Refuses, before anything runs, a saga from the ledger that this arcadia would not have built: a step it does not
 * know (SagaStepNotKnownError, a newer arcadia's saga) or a kind and step list that match no template.
 * The step rows are checked, not only the recorded list: the rows are what the runner drives.
 */
export function assertRegisteredTemplate(saga: SagaRecord, registry: StepRegistry): void {
  const unknown = saga.steps.find((step) => !registry.get(step.name));
  if (unknown) throw new SagaStepNotKnownError(saga.id, unknown.idx, unknown.name);
  const rows = saga.steps.map((step) => step.name);
  if (rows.length !== saga.stepNames.length || rows.some((name, i) => name !== saga.stepNames[i])) {
    throw new SagaTemplateMismatchError(saga.id, saga.kind, rows, 'its step rows differ from its recorded step list');
  }
  const problem = sagaTemplateProblem(saga.kind, rows);
  if (problem !== null) throw new SagaTemplateMismatchError(saga.id, saga.kind, rows, problem);
}
