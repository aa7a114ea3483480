import type { DigitalOceanClient } from '../../src/digitalocean/client.js';
import type { StepContext, StepDefinition } from '../../src/engine/step.js';
import type { SagaContext } from '../../src/engine/types.js';
import type { RestoreStepDependencies, RestoreTimings } from '../../src/sagas/restore/api.js';
import { createDropletFromSnapshotStep } from '../../src/sagas/restore/create-droplet-step.js';
import { deleteRestoredDropletStep } from '../../src/sagas/restore/delete-droplet-step.js';
import { restoreInputsOf } from '../../src/sagas/restore/restore-saga.js';
import { waitDropletActiveStep } from '../../src/sagas/restore/wait-active-step.js';
import { requestGuardOf } from '../../src/sagas/snapshot/api.js';
import type { SimulatorConfigInput } from '../../src/simulator/index.js';
import { clientFor, simulator } from '../digitalocean/helpers.js';
import { FakeClock } from '../helpers/fake-clock.js';

export const SAGA_ID = '0123abcd-0000-4000-8000-000000000001';
export const TAG = `arcadia-saga-${SAGA_ID}`;
export const NAME = 'arcadia-restore-0123abcd';
export const SNAPSHOT_ID = 901;
/** A droplet nobody made with arcadia, which no restore may ever delete. */
export const BYSTANDER = 8;

export const INPUTS = restoreInputsOf({
  snapshotId: String(SNAPSHOT_ID),
  dropletName: NAME,
  sizeSlug: 's-1vcpu-1gb',
  region: 'nyc3',
  tags: ['restored'],
});

/**
 * The simulator on a virtual clock that the steps' sleeps move, the real client, and the three steps: restore
 * steps run in-process against the wire shapes, in milliseconds of real time.
 */
export async function restoreWorld(config: SimulatorConfigInput = {}, timings: Partial<RestoreTimings> = {}) {
  const clock = new FakeClock();
  const sim = await simulator({
    clock: () => clock.now(),
    dropletCreateMs: 1000,
    createdDropletNotFoundMs: 300,
    deletedDropletLingerMs: 400,
    droplets: [
      { id: 7, name: 'web-07', snapshots: [{ id: SNAPSHOT_ID, name: 'arcadia-snap-7-0123abcd' }] },
      { id: BYSTANDER, name: 'bystander', tags: ['restored'] },
    ],
    ...config,
  });
  const client: DigitalOceanClient = clientFor(sim, { now: () => clock.now() });
  const deps: RestoreStepDependencies = {
    api: (ctx) => client.withGuard(requestGuardOf(ctx)),
    timings: {
      pollIntervalMs: 100,
      lookupAttempts: 3,
      lookupIntervalMs: 100,
      restoreTimeoutMs: 60_000,
      notFoundChecks: 5,
      ...timings,
    },
  };
  const steps = {
    create: createDropletFromSnapshotStep(deps),
    wait: waitDropletActiveStep(deps),
    remove: deleteRestoredDropletStep(deps),
  };
  /** One saga's context, shared by its steps as the runner's ledger would. */
  const context: SagaContext = { __inputs__: structuredClone(INPUTS) };
  const ctx = (step: StepDefinition, signal = new AbortController().signal) =>
    stepContext(clock, step, context, signal);
  const created = () => sim.state().dropletHistory.filter((d) => d.createdBy !== null);
  return { clock, sim, client, steps, context, ctx, created };
}

/** A step context as the runner builds one: checkpoints merge into `context`, sleeps move the virtual clock. */
export function stepContext(
  clock: FakeClock,
  step: StepDefinition,
  context: SagaContext,
  signal: AbortSignal,
): StepContext & { checkpoints: SagaContext[] } {
  const checkpoints: SagaContext[] = [];
  const inputs = context.__inputs__ as SagaContext;
  return {
    sagaId: SAGA_ID,
    stepIdx: 0,
    stepName: step.name,
    context,
    startedAt: clock.now(),
    signal,
    lease: { epoch: 1, assertHeld: async () => {}, sendWindowMs: () => 60_000 },
    clock,
    checkpoints,
    input: (key) => inputs[key],
    checkpoint: async (values) => {
      checkpoints.push(values);
      Object.assign(context, values);
    },
    sleep: (ms) => clock.sleep(ms, signal),
    progress: () => {},
  };
}
