import type { RetryPolicy } from './step.js';

/** Exponential backoff with full jitter: spreads retries of many sagas that failed at the same instant. */
export function backoffDelay(policy: RetryPolicy, retryNumber: number, random: () => number): number {
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** retryNumber);
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}
