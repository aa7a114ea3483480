import { describe, expect, it } from 'vitest';
import { DROPLET_SIZES, dropletCostUsd, dropletSize, smallestSizeFor } from '../../src/digitalocean/sizes.js';
import type { Snapshot } from '../../src/digitalocean/types.js';
import {
  RegionNotInSnapshotError,
  SizeTooSmallError,
  UnknownSizeError,
  VolumeSnapshotGivenError,
} from '../../src/sagas/restore/plan-errors.js';
import { planRestore } from '../../src/sagas/restore/restore-plan.js';

function snapshot(overrides: Partial<Snapshot> = {}): Snapshot {
  return {
    id: '150000900',
    name: 'arcadia-snap-1001-aaaaaaaa',
    created_at: '2026-01-01T00:00:00Z',
    regions: ['nyc3', 'ams3'],
    min_disk_size: 25,
    size_gigabytes: 2.3,
    resource_id: '1001',
    resource_type: 'droplet',
    tags: null,
    ...overrides,
  };
}

describe('the size table', () => {
  it('is cheapest first and knows each slug once', () => {
    const prices = DROPLET_SIZES.map((s) => s.priceMonthlyUsd);
    expect(prices).toEqual([...prices].sort((a, b) => a - b));
    expect(new Set(DROPLET_SIZES.map((s) => s.slug)).size).toBe(DROPLET_SIZES.length);
  });

  const fits: [number, string | undefined][] = [
    [1, 's-1vcpu-512mb-10gb'],
    [10, 's-1vcpu-512mb-10gb'],
    [11, 's-1vcpu-1gb'],
    [25, 's-1vcpu-1gb'],
    [26, 's-1vcpu-2gb'],
    [61, 's-2vcpu-4gb'],
    [320, 's-8vcpu-16gb'],
    [321, undefined],
  ];
  for (const [disk, slug] of fits) {
    it(`the smallest size for a ${disk} GB disk is ${slug ?? 'none'}`, () => {
      expect(smallestSizeFor(disk)?.slug).toBe(slug);
    });
  }

  it('bills at least a minute or a cent, then by the second', () => {
    const size = dropletSize('s-4vcpu-8gb');
    if (!size) throw new Error('s-4vcpu-8gb is in the table');
    expect(dropletCostUsd(size, 1000)).toBe(0.01);
    expect(dropletCostUsd(size, 1000)).toBe(dropletCostUsd(size, 60_000));
    const hour = dropletCostUsd(size, 3_600_000);
    expect(hour).toBeCloseTo(48 / 672, 6);
    expect(dropletCostUsd(size, 7_200_000)).toBeCloseTo(2 * hour, 6);
  });
});

describe('planRestore', () => {
  it("defaults to the snapshot's first region and the cheapest size whose disk fits", () => {
    const plan = planRestore(snapshot({ min_disk_size: 30 }), {});
    expect(plan).toMatchObject({ snapshotId: '150000900', region: 'nyc3', minDiskGigabytes: 30 });
    expect(plan.size.slug).toBe('s-1vcpu-2gb');
  });

  it('takes a region of the snapshot and a size that fits', () => {
    const plan = planRestore(snapshot(), { region: 'ams3', sizeSlug: 's-2vcpu-4gb' });
    expect([plan.region, plan.size.slug]).toEqual(['ams3', 's-2vcpu-4gb']);
  });

  const refusals: [string, Snapshot, Parameters<typeof planRestore>[1], new (...args: never[]) => Error][] = [
    ['a region the snapshot is not in', snapshot(), { region: 'sfo3' }, RegionNotInSnapshotError],
    ['a snapshot in no region', snapshot({ regions: [] }), {}, RegionNotInSnapshotError],
    ['a size too small', snapshot({ min_disk_size: 30 }), { sizeSlug: 's-1vcpu-1gb' }, SizeTooSmallError],
    ['a snapshot no size holds', snapshot({ min_disk_size: 500 }), {}, SizeTooSmallError],
    ['an unknown size', snapshot(), { sizeSlug: 'm-64vcpu' }, UnknownSizeError],
    ['a volume snapshot', snapshot({ resource_type: 'volume' }), {}, VolumeSnapshotGivenError],
  ];
  for (const [what, given, request, error] of refusals) {
    it(`refuses ${what}`, () => {
      expect(() => planRestore(given, request)).toThrow(error);
    });
  }
});
