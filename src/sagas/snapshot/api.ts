import type { DigitalOceanClient } from '../../digitalocean/client.js';

/** The part of the DigitalOcean client the snapshot saga uses: narrow, so tests can see what it depends on. */
export type SnapshotApi = Pick<
  DigitalOceanClient,
  'postDropletAction' | 'getAction' | 'listDropletActions' | 'listDropletSnapshots' | 'listSnapshots' | 'getSnapshot' | 'deleteSnapshot' | 'getDroplet' | 'listDroplets'
>;

export interface SnapshotTimings {
  pollIntervalMs: number;
  actionTimeoutMs: number;
  lookupAttempts: number;
  lookupIntervalMs: number;
  /** How long a graceful shutdown may take before arcadia cuts the power. */
  shutdownTimeoutMs: number;
}

export interface SnapshotStepDependencies {
  /** Created on first use: test-only sagas never need a token. */
  api(): SnapshotApi;
  timings: SnapshotTimings;
  /** How long earlier snapshots of this droplet (else of droplets with a similar disk) took (ms), newest first. */
  snapshotHistory(dropletId: number, diskGigabytes?: number): number[];
}
