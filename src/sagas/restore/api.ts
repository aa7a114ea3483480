import type { DigitalOceanClient } from '../../digitalocean/client.js';
import type { StepContext } from '../../engine/step.js';

/** The part of the DigitalOcean client the restore and drill steps use: narrow, so tests see what they depend on. */
export type RestoreApi = Pick<
  DigitalOceanClient,
  'createDroplet' | 'deleteDroplet' | 'getDroplet' | 'listDroplets' | 'listDropletActions' | 'getAction'
>;

export interface RestoreTimings {
  pollIntervalMs: number;
  /** Listings may lag a create (ARCHITECTURE.md): after a request of ours went unanswered, look this many times. */
  lookupAttempts: number;
  lookupIntervalMs: number;
  /** How long the droplet may take to become active, and to be gone after its DELETE. */
  restoreTimeoutMs: number;
  /** 404s from `GET /v2/droplets/{id}` tolerated right after the create. */
  notFoundChecks: number;
}

export interface RestoreStepDependencies {
  /** The client for one step's run, fenced by the step's lease (see requestGuardOf). */
  api(ctx: StepContext): RestoreApi;
  timings: RestoreTimings;
}
