import { FleetWatcher } from '../../../sagas/snapshot/fleet-watcher.js';
import type { App } from '../../app.js';

/** Never aborts: the watcher's reads end when its last waiting saga goes, each on its own signal. */
const NEVER = new AbortController().signal;

/**
 * The batch's fleet watcher (ARCHITECTURE.md, "The fleet watcher"), over the batch's shared client. Its reads carry no
 * saga's lease: they are the batch's, like the planning listing, and only stop with the process.
 */
export function batchWatcher(app: App): FleetWatcher {
  const { pollIntervalMs, pollGrowthPercent, lookupIntervalMs } = app.settings;
  return new FleetWatcher({
    api: () => app.api().withGuard({ signal: app.stop ?? NEVER, beforeRequest: () => undefined }),
    clock: app.clock,
    schedule: { pollIntervalMs, growth: pollGrowthPercent / 100 },
    lookupIntervalMs,
  });
}
