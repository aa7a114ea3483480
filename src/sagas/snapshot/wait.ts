import type { Action } from '../../digitalocean/types.js';
import type { StepContext } from '../../engine/step.js';
import { StepFailedError } from '../../engine/errors.js';
import { failpoint } from '../../engine/failpoint.js';
import type { SnapshotApi, SnapshotTimings } from './api.js';
import { DEFAULT_POLL_GROWTH, nextLookDelay } from './poll-schedule.js';

export { expectedDuration } from './poll-schedule.js';

export class ActionTimeoutError extends StepFailedError {
  constructor(
    readonly actionId: number,
    readonly status: string,
    readonly waitedMs: number,
  ) {
    super(
      `DigitalOcean action ${actionId} was still ${statusText(status)} after ${waitedMs} ms ` +
        '(ARCADIA_ACTION_TIMEOUT_MS)',
    );
  }
}

/** `in progress`, or an unexpected status quoted as it came. */
export function statusText(status: string): string {
  return status === 'in-progress' ? 'in progress' : `${JSON.stringify(status)} (not a final status)`;
}

/** An action that has ended: only these two statuses say it will change nothing more. */
export type FinishedAction = Action & { status: 'completed' | 'errored' };

/**
 * The API documents three statuses, but a reply may carry another (`pending`, or one added later): that action may
 * still produce something, so it is waited for like `in-progress`, never taken as ended.
 */
export function isFinished(action: Action): action is FinishedAction {
  const status: string = action.status;
  return status === 'completed' || status === 'errored';
}

export class ActionErroredError extends StepFailedError {
  constructor(readonly action: Action) {
    super(`DigitalOcean reports ${action.type} action ${action.id} errored (started ${action.started_at})`);
  }
}

/**
 * Waits for an action to finish (completed or errored; any other status keeps it waiting), spending few requests:
 * the looks follow `nextLookDelay` (poll-schedule.ts): at the expected time from history, then briskly; without one,
 * spaced out with the time already waited. Throws ActionTimeoutError past `actionTimeoutMs`.
 */
export async function waitForAction(
  api: Pick<SnapshotApi, 'getAction'>,
  ctx: Pick<StepContext, 'sleep' | 'clock' | 'progress'>,
  action: Action,
  timings: Pick<SnapshotTimings, 'pollIntervalMs' | 'actionTimeoutMs'> & { pollGrowth?: number },
  expectedMs?: number,
): Promise<FinishedAction> {
  const startedAt = Date.parse(action.started_at ?? '') || ctx.clock.now();
  const waitStart = ctx.clock.now();
  const schedule = { pollIntervalMs: timings.pollIntervalMs, growth: timings.pollGrowth ?? DEFAULT_POLL_GROWTH };
  let current = action;
  while (!isFinished(current)) {
    const waited = ctx.clock.now() - waitStart;
    if (waited > timings.actionTimeoutMs) throw new ActionTimeoutError(current.id, current.status, waited);
    const delay = nextLookDelay(ctx.clock.now() - startedAt, expectedMs, schedule);
    await ctx.sleep(Math.min(delay, Math.max(1, timings.actionTimeoutMs - waited + 1)));
    current = await api.getAction(current.id);
    failpoint('action.polled');
    ctx.progress(
      `${current.type} action ${current.id} ${current.status} ` +
        `after ${Math.round((ctx.clock.now() - startedAt) / 1000)}s`,
    );
  }
  return current;
}

export function actionDurationMs(action: Action): number | undefined {
  const start = Date.parse(action.started_at ?? '');
  const end = Date.parse(action.completed_at ?? '');
  return Number.isFinite(start) && Number.isFinite(end) && end >= start ? end - start : undefined;
}
