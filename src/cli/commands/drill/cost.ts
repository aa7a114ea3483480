/**
 * DigitalOcean bills droplets per second since 2026-01-01, "with a minimum charge of 60 seconds or $0.01
 * (whichever is higher)". The per-second rate is taken as the monthly price over the 672-hour month DigitalOcean's
 * hourly prices are derived from (a $6 droplet is $0.00893 an hour); the official per-second rate was not checked.
 */
const BILLED_HOURS_PER_MONTH = 672;
const MINIMUM_SECONDS = 60;
const MINIMUM_USD = 0.01;

/** What a temporary droplet of `monthlyUsd` costs when it existed `lifetimeMs`, in dollars (not rounded). */
export function dropletCostUsd(monthlyUsd: number, lifetimeMs: number): number {
  const seconds = Math.max(MINIMUM_SECONDS, Math.ceil(Math.max(0, lifetimeMs) / 1000));
  return Math.max(MINIMUM_USD, (monthlyUsd / (BILLED_HOURS_PER_MONTH * 3600)) * seconds);
}
