import type { DigitalOceanClient, RequestGuard } from '../../digitalocean/client.js';
import type { StepContext } from '../../engine/step.js';
import type { SnapshotWatcher } from './fleet-watcher.js';

/** The part of the DigitalOcean client the snapshot saga uses: narrow, so tests can see what it depends on. */
export type SnapshotApi = Pick<
  DigitalOceanClient,
  | 'postDropletAction'
  | 'getAction'
  | 'listDropletActions'
  | 'listDropletSnapshots'
  | 'listSnapshots'
  | 'getSnapshot'
  | 'deleteSnapshot'
  | 'getDroplet'
  | 'listDroplets'
  | 'listVolumeSnapshots'
  | 'createVolumeSnapshot'
  | 'deleteVolumeSnapshot'
  | 'postImageAction'
  | 'listImageActions'
>;

/** DigitalOcean's per-volume limits (25 snapshots, one per 10 minutes), settable so tests need not wait. */
export interface VolumeLimits {
  snapshotsPerVolume: number;
  intervalMs: number;
}

export interface SnapshotTimings {
  pollIntervalMs: number;
  /** How much polls space out without a history: a fraction of the time waited (ARCADIA_POLL_GROWTH_PERCENT). */
  pollGrowth: number;
  actionTimeoutMs: number;
  lookupAttempts: number;
  lookupIntervalMs: number;
  /** How long a graceful shutdown may take before arcadia cuts the power. */
  shutdownTimeoutMs: number;
}

export interface SnapshotStepDependencies {
  /**
   * The client for one step's run, created on first use (test-only sagas never need a token) and fenced by the
   * step's lease: no request of a superseded executor leaves the process.
   */
  api(ctx: StepContext): SnapshotApi;
  timings: SnapshotTimings;
  volumeLimits: VolumeLimits;
  /** How long earlier snapshots of this droplet (else of droplets with a similar disk) took (ms), newest first. */
  snapshotHistory(dropletId: number, diskGigabytes?: number): Promise<number[]>;
  /** The batch's fleet watcher, when the command runs one: the step waits and looks through it. */
  watcher?(): SnapshotWatcher | undefined;
}

/** A step's lease and signal as the client's request guard: every request checks the lease right before it goes. */
export function requestGuardOf(ctx: Pick<StepContext, 'sagaId' | 'signal' | 'lease'>): RequestGuard {
  return {
    signal: ctx.signal,
    beforeRequest: (kind) => ctx.lease.assertHeld(kind),
    sendWindowMs: () => ctx.lease.sendWindowMs(),
    holder: { sagaId: ctx.sagaId, epoch: ctx.lease.epoch },
  };
}
