import type { Output } from '../output.js';

/**
 * A batch against the token's hourly quota (ARCHITECTURE.md, "The budget"): whether its remaining work fits in
 * what the quota allows above the reserve, and if not, about how much longer the quota makes it take.
 */
export interface QuotaForecast {
  limit: number;
  /** The reserve as a percentage of the limit, as ARCADIA_RATE_RESERVE gave it. */
  reservePercent: number;
  /** Requests the quota allows now without touching the reserve. */
  leftAboveReserve: number;
  /** Requests the batch's remaining sagas need, by the estimate per saga. */
  neededRequests: number;
  fits: boolean;
  /** How much longer than the burst budget alone the batch takes; 0 when it fits. */
  extraMs: number;
}

/** The key of the batch's live line that tells the quota, and the start of the sentence. */
export const QUOTA_LINE_KEY = 'hourly API quota';

function count(n: number): string {
  return n.toLocaleString('en-US');
}

/** "about 25 min", "about 1 h 20 min", "about 40 s": an estimate, so rounded. */
export function aboutDuration(ms: number): string {
  const seconds = Math.max(1, Math.round(ms / 1000));
  if (seconds < 90) return `about ${seconds} s`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `about ${minutes} min`;
  const hours = Math.floor(minutes / 60);
  const rest = minutes - hours * 60;
  return `about ${hours} h${rest > 0 ? ` ${rest} min` : ''}`;
}

/** What follows `hourly API quota: ` when a batch will take longer because of the quota. */
export function quotaNoticeDetail(f: QuotaForecast): string {
  return (
    `${count(f.leftAboveReserve)} of ${count(f.limit)} left above the ${f.reservePercent}% reserve; this batch ` +
    `needs about ${count(f.neededRequests)} requests and will take ${aboutDuration(f.extraMs)} longer`
  );
}

/** Said once, on stderr (silent under --json, where `quotaNoticeJson` carries it). */
export function printQuotaNotice(output: Output, forecast: QuotaForecast): void {
  output.progress(`${QUOTA_LINE_KEY}: ${quotaNoticeDetail(forecast)}`);
}

/** The `quota` field of each `snapshot --json` entry of a batch the quota slowed. */
export function quotaNoticeJson(f: QuotaForecast): Record<string, unknown> {
  return {
    limit: f.limit,
    reservePercent: f.reservePercent,
    leftAboveReserve: f.leftAboveReserve,
    neededRequests: f.neededRequests,
    extraMs: f.extraMs,
    message: `${QUOTA_LINE_KEY}: ${quotaNoticeDetail(f)}`,
  };
}
