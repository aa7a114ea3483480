/**
 * DigitalOcean's standard droplet sizes: the slug, its disk and its monthly list price in USD. A restore picks the
 * cheapest size whose disk fits the snapshot's `min_disk_size` (ARCHITECTURE.md), and a drill's cost is read here.
 * The prices are DigitalOcean's published list prices (digitalocean.com/pricing/droplets, Basic droplets), which
 * nothing here verifies; `GET /v2/sizes` (`price_monthly`) is the authority. Plain data, no imports: the
 * simulator serves the same table, so the two cannot disagree.
 */
export interface DropletSize {
  slug: string;
  memoryMb: number;
  vcpus: number;
  diskGigabytes: number;
  priceMonthlyUsd: number;
}

/** Cheapest first; among equal prices the larger disk first. */
export const DROPLET_SIZES: readonly DropletSize[] = [
  { slug: 's-1vcpu-512mb-10gb', memoryMb: 512, vcpus: 1, diskGigabytes: 10, priceMonthlyUsd: 4 },
  { slug: 's-1vcpu-1gb', memoryMb: 1024, vcpus: 1, diskGigabytes: 25, priceMonthlyUsd: 6 },
  { slug: 's-1vcpu-1gb-amd', memoryMb: 1024, vcpus: 1, diskGigabytes: 25, priceMonthlyUsd: 7 },
  { slug: 's-1vcpu-1gb-intel', memoryMb: 1024, vcpus: 1, diskGigabytes: 25, priceMonthlyUsd: 8 },
  { slug: 's-1vcpu-2gb', memoryMb: 2048, vcpus: 1, diskGigabytes: 50, priceMonthlyUsd: 12 },
  { slug: 's-2vcpu-2gb', memoryMb: 2048, vcpus: 2, diskGigabytes: 60, priceMonthlyUsd: 18 },
  { slug: 's-2vcpu-4gb', memoryMb: 4096, vcpus: 2, diskGigabytes: 80, priceMonthlyUsd: 24 },
  { slug: 's-4vcpu-8gb', memoryMb: 8192, vcpus: 4, diskGigabytes: 160, priceMonthlyUsd: 48 },
  { slug: 's-8vcpu-16gb', memoryMb: 16384, vcpus: 8, diskGigabytes: 320, priceMonthlyUsd: 96 },
];

export function dropletSize(slug: string): DropletSize | undefined {
  return DROPLET_SIZES.find((size) => size.slug === slug);
}

/** The cheapest size whose disk holds `minDiskGigabytes`, or undefined when none does. */
export function smallestSizeFor(minDiskGigabytes: number): DropletSize | undefined {
  return DROPLET_SIZES.filter((size) => size.diskGigabytes >= minDiskGigabytes).sort(
    (a, b) => a.priceMonthlyUsd - b.priceMonthlyUsd || b.diskGigabytes - a.diskGigabytes,
  )[0];
}

/** Hours in DigitalOcean's billing month (its hourly prices are the monthly ones over 672 hours). */
export const BILLING_HOURS_PER_MONTH = 672;

/**
 * What running a droplet of `size` for `ms` costs in USD: billed per second since 2026-01-01 with a minimum of 60
 * seconds or $0.01, whichever is higher (ARCHITECTURE.md).
 */
export function dropletCostUsd(size: DropletSize, ms: number): number {
  const perSecond = size.priceMonthlyUsd / (BILLING_HOURS_PER_MONTH * 3600);
  const seconds = Math.max(60, Math.ceil(ms / 1000));
  return Math.max(0.01, perSecond * seconds);
}
