import { describe, expect, it } from 'vitest';
import { RateReserveError } from '../../src/digitalocean/errors.js';
import {
  parseRateReserve,
  reserveCount,
  reserveDecision,
  type QuotaState,
} from '../../src/digitalocean/rate-reserve.js';

describe('parseRateReserve (ARCADIA_RATE_RESERVE)', () => {
  it.each([
    [undefined, 0.2],
    ['', 0.2],
    ['  ', 0.2],
    ['20', 0.2],
    ['20%', 0.2],
    [' 5 % ', 0.05],
    ['0', 0],
    ['12.5%', 0.125],
    ['99', 0.99],
  ])('%j is %d of the quota', (raw, fraction) => {
    expect(parseRateReserve(raw)).toBeCloseTo(fraction, 10);
  });

  it.each(['abc', '-5', '100', '150%', '20%%', '0x10', '1e1', '20 percent', '%', '.5'])('refuses %j', (raw) => {
    let caught: unknown;
    try {
      parseRateReserve(raw);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(RateReserveError);
    expect((caught as RateReserveError).message).toContain('ARCADIA_RATE_RESERVE must be a percentage from 0 to 99');
  });

  it('rounds the reserve up to whole requests', () => {
    expect(reserveCount(5000, 0.2)).toBe(1000);
    expect(reserveCount(10, 0.125)).toBe(2);
    expect(reserveCount(5000, 0)).toBe(0);
  });
});

describe('reserveDecision', () => {
  const NOW = 1_000_000;
  const quota = (remaining: number, inFlight: number, resetAt = NOW + 5000): QuotaState => ({
    limit: 5000,
    remaining,
    resetAt,
    reserve: 1000,
    inFlight,
  });

  it.each([
    ['nothing known, nothing in flight: the first request learns the quota', undefined, 0, 'send'],
    ['nothing known, one in flight: wait for its reply', undefined, 1, 'wait-reply'],
    ['well above the reserve', quota(4000, 10), 0, 'send'],
    ['one above the reserve: the last one may go', quota(1001, 0), 0, 'send'],
    ['at the reserve: wait for the reset', quota(1000, 0), 0, 'wait-reset'],
    ['above it only by what is in flight', quota(1003, 3), 0, 'wait-reset'],
    ['below it (another tool spent it)', quota(200, 0), 0, 'wait-reset'],
    ['at it, past the reset: one has expired, so one may go', quota(1000, 0, NOW - 1), 0, 'send'],
    ['at it, past the reset, one in flight: wait for its reply', quota(1000, 1, NOW), 0, 'wait-reply'],
    ['below it, past the reset, nothing in flight: a probe', quota(500, 0, NOW), 0, 'send'],
    [
      'below it, past the reset, the last probe too recent: wait',
      { ...quota(500, 0, NOW), probeNotBefore: NOW + 5000 },
      0,
      'wait-reset',
    ],
  ] as const)('%s', (_, state, inFlight, kind) => {
    const decision = reserveDecision(state, NOW, inFlight);
    expect(decision.kind).toBe(kind);
    if (decision.kind === 'wait-reset') expect(decision.untilMs).toBe(NOW + 5000);
  });
});
