import { describe, expect, it } from 'vitest';
import { quotaIdealMs } from '../../tools/bench/hourly-quota.js';

describe('quotaIdealMs (the hourly-quota bench at 1/120 time: an hour of 30 s, a minute of 0.5 s)', () => {
  it('within what the quota allows above the 20% reserve: the burst budget alone', () => {
    expect(quotaIdealMs(2500)).toBe(5000); // 2,500 at 250 per 0.5 s
  });

  it('past it: the rest waits for the first requests to expire a window later', () => {
    expect(quotaIdealMs(4500)).toBe(30_000 + 1000); // 4,000 now, 500 after 30 s at 250 per 0.5 s
    expect(quotaIdealMs(8500)).toBe(60_000 + 1000);
  });
});
