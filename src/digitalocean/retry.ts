import { backoffMs } from '../backoff.js';
import { NetworkError, RateLimitedError, ServerError, type DigitalOceanError, type HttpMethod } from './errors.js';

export interface RetryPolicy {
  /** Retries after the first attempt. */
  retries: number;
  baseMs: number;
  maxMs: number;
  /** The longest wait a 429's headers can impose on one retry. */
  maxRateLimitWaitMs: number;
  random: () => number;
}

/**
 * Whether a failed attempt may be sent again. GET and DELETE are idempotent, so network errors, 429 and 5xx
 * (but 501) are retried. A POST is retried only after a 429, which DigitalOcean sends before processing it; after a
 * 5xx or a lost reply the action may exist, so the POST surfaces as OutcomeUnknownError instead (decided by the
 * caller).
 */
export function isRetryable(method: HttpMethod, error: DigitalOceanError): boolean {
  if (error instanceof RateLimitedError) return true;
  if (method === 'POST') return false;
  if (error instanceof NetworkError) return true;
  return error instanceof ServerError && error.transient;
}

/** How long to wait before retry number `retryNumber` (0-based): as the headers say when they say, else backoff. */
export function retryDelayMs(
  policy: RetryPolicy,
  retryNumber: number,
  error: DigitalOceanError,
  headerWaitMs: number | undefined,
): number {
  if (headerWaitMs !== undefined && (error instanceof RateLimitedError || error instanceof ServerError)) {
    return Math.min(Math.max(headerWaitMs, 0), policy.maxRateLimitWaitMs);
  }
  return backoffMs(policy, retryNumber, policy.random);
}

/**
 * The wait a reply's headers ask for: `retry-after` (seconds, or an HTTP date), else for a 429 that says the hourly
 * quota is spent until `ratelimit-reset`, the epoch second when the oldest counted request expires. A burst 429
 * without retry-after (the spec declares it nowhere) names no wait: the caller's own backoff applies.
 */
export function headerWaitMs(status: number, headers: Headers, now: number, hourlyRefusal = true): number | undefined {
  const retryAfter = headers.get('retry-after');
  if (retryAfter !== null && retryAfter.trim() !== '') {
    const seconds = Number(retryAfter);
    if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
    const date = Date.parse(retryAfter);
    if (Number.isFinite(date)) return Math.max(0, date - now);
  }
  if (status === 429 && hourlyRefusal) {
    const reset = Number(headers.get('ratelimit-reset') ?? NaN);
    if (Number.isFinite(reset)) return Math.max(0, reset * 1000 - now);
  }
  return undefined;
}
