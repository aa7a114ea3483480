/**
 * When to look at a running action next: the one timing rule behind a lone saga's polls and the fleet watcher's
 * rounds (ARCHITECTURE.md, "The fleet watcher"). Pure, so its request counts and lateness are fixture-tested.
 */

export interface PollSchedule {
  /** The briskest look: ARCADIA_POLL_INTERVAL_MS. */
  pollIntervalMs: number;
  /**
   * Without an expected duration, the next look comes this fraction of the time already waited later
   * (ARCADIA_POLL_GROWTH_PERCENT): more growth, fewer requests, a later notice (about this fraction of the action).
   */
  growth: number;
}

/** ARCADIA_POLL_GROWTH_PERCENT's default, 12: about the eighth of the waited time arcadia always used. */
export const DEFAULT_POLL_GROWTH = 0.12;

/**
 * Once the expected time has passed, looks come this fraction of it apart (at least the poll interval): an action
 * running a little longer than its history is noticed within a tenth of its time, in one or two more requests.
 */
export const LATE_STEP = 0.05;
/**
 * The first look comes this fraction after the expected time (at most a second): DigitalOcean's whole-second stamps
 * make the start look up to a second early, so a look at exactly the expected time would mostly come too soon.
 */
export const FIRST_LOOK_MARGIN = 0.02;
/** Past this multiple of the expected time the history was wrong: the schedule grows as if there were none. */
export const HISTORY_TRUSTED_UNTIL = 1.5;

/**
 * How long after `now` to look at an action that began `elapsedMs` ago. With an expected duration: just after that
 * duration, then every LATE_STEP of it; without one, or long past it: the waited time times `growth`, never less
 * than the poll interval.
 */
export function nextLookDelay(elapsedMs: number, expectedMs: number | undefined, schedule: PollSchedule): number {
  const elapsed = Math.max(0, elapsedMs);
  if (expectedMs !== undefined && expectedMs > 0 && elapsed < expectedMs * HISTORY_TRUSTED_UNTIL) {
    const firstLook = expectedMs + Math.min(1_000, expectedMs * FIRST_LOOK_MARGIN);
    if (elapsed < firstLook) return Math.max(1, Math.ceil(firstLook - elapsed));
    return Math.max(schedule.pollIntervalMs, Math.ceil(expectedMs * LATE_STEP));
  }
  return Math.max(schedule.pollIntervalMs, Math.floor(elapsed * schedule.growth));
}

/** Typical duration from history: the median keeps one odd run from skewing the wait. */
export function expectedDuration(history: readonly number[]): number | undefined {
  const recent = history
    .slice(0, 5)
    .filter((ms) => Number.isFinite(ms) && ms > 0)
    .sort((a, b) => a - b);
  return recent.length ? recent[Math.floor(recent.length / 2)] : undefined;
}
