import type { Action, DropletSnapshot, Snapshot } from '../../src/digitalocean/types.js';
import type { Clock } from '../../src/engine/clock.js';
import type { StepContext } from '../../src/engine/step.js';
import type { SagaContext } from '../../src/engine/types.js';
import type { SnapshotApi, SnapshotStepDependencies } from '../../src/sagas/snapshot/api.js';
import type { FakeClock } from '../helpers/fake-clock.js';

export const DROPLET_ID = 1001;
export const SAGA_ID = '0123abcd-0000-4000-8000-000000000001';

interface FakeAction {
  id: number;
  startedAt: number;
  /** Never, for an action stuck in its running status. */
  endsAt: number;
  runningStatus: string;
  snapshotName: string;
}

const seconds = (ms: number): string => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000', '');

/**
 * One droplet on a virtual clock, in memory: snapshot actions report `runningStatus` (which may be one the API does
 * not document) until they end, and their snapshot is listed from then on. For step tests that need replies the
 * simulator cannot give.
 */
export class FakeDroplet {
  readonly actions: FakeAction[] = [];
  readonly snapshots: { id: number; name: string; createdAt: number; listedFrom: number; deleted: boolean }[] = [];
  readonly deletes: string[] = [];
  private nextId = 500;

  constructor(
    private readonly clock: Clock,
    private readonly options: { durationMs: number; runningStatus: string },
  ) {}

  /** Starts a snapshot action as a POST would, without the API: for contexts a crashed run left behind. */
  start(name: string, durationMs = this.options.durationMs): Action {
    const action: FakeAction = {
      id: this.nextId++,
      startedAt: this.clock.now(),
      endsAt: this.clock.now() + durationMs,
      runningStatus: this.options.runningStatus,
      snapshotName: name,
    };
    this.actions.push(action);
    this.snapshots.push({
      id: this.nextId++,
      name,
      createdAt: action.startedAt,
      listedFrom: action.endsAt,
      deleted: false,
    });
    return this.view(action);
  }

  private view(action: FakeAction): Action {
    const done = this.clock.now() >= action.endsAt;
    return {
      id: action.id,
      status: done ? 'completed' : (action.runningStatus as Action['status']),
      type: 'snapshot',
      started_at: seconds(action.startedAt),
      completed_at: done ? seconds(action.endsAt) : null,
      resource_id: DROPLET_ID,
      resource_type: 'droplet',
      region_slug: 'nyc3',
    };
  }

  private listed(): FakeDroplet['snapshots'] {
    return this.snapshots.filter((s) => !s.deleted && this.clock.now() >= s.listedFrom);
  }

  /** Snapshots that exist now or will once their action ends. */
  remaining(): string[] {
    return this.snapshots.filter((s) => !s.deleted).map((s) => s.name);
  }

  api(): SnapshotApi {
    const unexpected = (what: string) => async (): Promise<never> => {
      throw new Error(`the test did not expect ${what}`);
    };
    const api: Partial<SnapshotApi> = {
      postDropletAction: async (_id, request) => {
        if (request.type !== 'snapshot') throw new Error(`the test did not expect a ${request.type} action`);
        return this.start(request.name);
      },
      getAction: async (id) => {
        const action = this.actions.find((a) => a.id === id);
        if (!action) throw new Error(`no action ${id}`);
        return this.view(action);
      },
      listDropletActions: async () => this.actions.map((a) => this.view(a)),
      listDropletSnapshots: async (): Promise<DropletSnapshot[]> =>
        this.listed().map((s) => ({
          id: s.id,
          name: s.name,
          created_at: seconds(s.createdAt),
          regions: ['nyc3'],
          min_disk_size: 25,
          size_gigabytes: 1.5,
          type: 'snapshot',
        })),
      listSnapshots: async (): Promise<Snapshot[]> => [],
      deleteSnapshot: async (id) => {
        this.deletes.push(id);
        const snapshot = this.snapshots.find((s) => String(s.id) === id);
        if (snapshot) snapshot.deleted = true;
      },
      getDroplet: unexpected('getDroplet'),
      getSnapshot: unexpected('getSnapshot'),
      listDroplets: unexpected('listDroplets'),
    };
    return api as SnapshotApi;
  }
}

export function stepDependencies(
  droplet: FakeDroplet,
  timings: Partial<SnapshotStepDependencies['timings']> = {},
): SnapshotStepDependencies {
  const deps: SnapshotStepDependencies = {
    api: () => droplet.api(),
    volumeLimits: { snapshotsPerVolume: 25, intervalMs: 600_000 },
    timings: {
      pollIntervalMs: 1000,
      pollGrowth: 0.12,
      actionTimeoutMs: 60_000,
      lookupAttempts: 3,
      lookupIntervalMs: 1000,
      shutdownTimeoutMs: 1000,
      ...timings,
    },
    snapshotHistory: async () => [],
  };
  return deps;
}

/** A step context as the runner builds one: checkpoints merge into the context, sleeps move the virtual clock. */
export function stepContext(clock: FakeClock, context: SagaContext = {}): StepContext & { checkpoints: SagaContext[] } {
  const full: SagaContext = { __inputs__: { droplet_provider_id: DROPLET_ID }, ...context };
  const checkpoints: SagaContext[] = [];
  const signal = new AbortController().signal;
  return {
    sagaId: SAGA_ID,
    stepIdx: 0,
    stepName: 'create_droplet_snapshot',
    context: full,
    startedAt: clock.now(),
    signal,
    lease: { epoch: 1, assertHeld: async () => {}, sendWindowMs: () => 60_000 },
    clock,
    checkpoints,
    input: (key) => {
      const inputs = full.__inputs__;
      return inputs && typeof inputs === 'object' && !Array.isArray(inputs) ? inputs[key] : undefined;
    },
    checkpoint: async (values) => {
      checkpoints.push(values);
      Object.assign(full, values);
    },
    sleep: (ms) => clock.sleep(ms, signal),
    progress: () => {},
  };
}
