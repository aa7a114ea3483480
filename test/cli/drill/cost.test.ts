import { describe, expect, it } from 'vitest';
import { dropletCostUsd as costOf, type DropletSize } from '../../../src/digitalocean/sizes.js';

/** A size of this monthly price: the cost depends on nothing else. */
function dropletCostUsd(monthlyUsd: number, ms: number): number {
  const size: DropletSize = { slug: 'x', memoryMb: 1, vcpus: 1, diskGigabytes: 1, priceMonthlyUsd: monthlyUsd };
  return costOf(size, ms);
}

describe('what a temporary droplet costs (per-second billing, 60 s or $0.01 at least)', () => {
  it('charges $0.01 for a short drill of a small droplet', () => {
    expect(dropletCostUsd(6, 45_000)).toBe(0.01);
    expect(dropletCostUsd(6, 0)).toBe(0.01);
  });

  it('bills at least 60 seconds when 60 seconds cost more than a cent', () => {
    // $1,344 a month is $0.000555... a second: 60 s is $0.0333, whatever shorter time the droplet lived.
    expect(dropletCostUsd(1344, 1_000)).toBeCloseTo((1344 / (672 * 3600)) * 60, 10);
    expect(dropletCostUsd(1344, 1_000)).toBeCloseTo(0.0333, 4);
  });

  it('bills every started second beyond the minimum', () => {
    const perSecond = 1344 / (672 * 3600);
    expect(dropletCostUsd(1344, 120_001)).toBeCloseTo(perSecond * 121, 10);
    // An hour of a $6 droplet is its hourly price, $0.00893: still under the $0.01 minimum.
    expect(dropletCostUsd(6, 3_600_000)).toBe(0.01);
    expect(dropletCostUsd(48, 3_600_000)).toBeCloseTo(48 / 672, 10);
  });
});
