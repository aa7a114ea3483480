import { describe, expect, it } from 'vitest';
import {
  DEFAULT_POLL_GROWTH,
  HISTORY_TRUSTED_UNTIL,
  LATE_STEP,
  nextLookDelay,
  type PollSchedule,
} from '../../src/sagas/snapshot/poll-schedule.js';

const FIVE_S: PollSchedule = { pollIntervalMs: 5_000, growth: DEFAULT_POLL_GROWTH };

/** Looks at an action of `durationMs` from its start: how many, and how long after its end the one that saw it. */
function follow(
  durationMs: number,
  expectedMs: number | undefined,
  schedule = FIVE_S,
): { looks: number; lateMs: number } {
  let elapsed = 0;
  let looks = 0;
  for (;;) {
    elapsed += nextLookDelay(elapsed, expectedMs, schedule);
    looks++;
    if (elapsed >= durationMs) return { looks, lateMs: elapsed - durationMs };
  }
}

describe('nextLookDelay', () => {
  it('with history looks once at the expected time and, a little later, briskly', () => {
    expect(nextLookDelay(0, 120_000, FIVE_S)).toBe(121_000); // a second after: the start's stamp is floored
    expect(nextLookDelay(100_000, 120_000, FIVE_S)).toBe(21_000);
    expect(nextLookDelay(0, 3_000, FIVE_S)).toBe(3_060); // 2 % when that is less than a second
    expect(nextLookDelay(121_000, 120_000, FIVE_S)).toBe(6_000);
    expect(nextLookDelay(121_000, 120_000, { ...FIVE_S, pollIntervalMs: 1_000 })).toBe(120_000 * LATE_STEP);
    expect(nextLookDelay(30_000, 20_000, FIVE_S)).toBe(5_000); // a short action: the poll interval, never less
  });

  it('an action that runs as its history said costs one look; 10 % longer, two or three, noticed within 10 %', () => {
    expect(follow(120_000, 120_000)).toEqual({ looks: 1, lateMs: 1_000 });
    expect(follow(120_900, 120_000)).toEqual({ looks: 1, lateMs: 100 });
    for (const actual of [121_000, 126_000, 132_000]) {
      const { looks, lateMs } = follow(actual, 120_000);
      expect(looks).toBeLessThanOrEqual(3);
      expect(lateMs).toBeLessThanOrEqual(actual * 0.1);
    }
    for (const actual of [20_000, 31_000, 49_000])
      expect(follow(actual, actual - 1_000).lateMs).toBeLessThanOrEqual(5_000);
  });

  it('past 1.5 times its history an action is timed as if it had none', () => {
    const elapsed = 120_000 * HISTORY_TRUSTED_UNTIL;
    expect(nextLookDelay(elapsed, 120_000, FIVE_S)).toBe(nextLookDelay(elapsed, undefined, FIVE_S));
  });

  it('without history, the default is at least as good as before: <= 21 looks, <= 11 % late for 2 minutes', () => {
    const { looks, lateMs } = follow(120_000, undefined);
    expect(looks).toBeLessThanOrEqual(21);
    expect(lateMs / 120_000).toBeLessThanOrEqual(0.11);
  });

  it('more growth trades lateness for fewer looks', () => {
    const slow = follow(600_000, undefined, { pollIntervalMs: 5_000, growth: 0.05 });
    const fast = follow(600_000, undefined, { pollIntervalMs: 5_000, growth: 0.25 });
    expect(fast.looks).toBeLessThan(slow.looks);
    expect(slow.lateMs).toBeLessThanOrEqual(600_000 * 0.05 + 5_000);
    expect(fast.lateMs).toBeLessThanOrEqual(600_000 * 0.25 + 5_000);
  });
});
