/** The bounds of an exponential backoff: the first wait and the cap. */
export interface BackoffBounds {
  baseMs: number;
  maxMs: number;
}

/**
 * The one backoff arcadia computes (the client's request retries and the runner's step retries both use it):
 * base x 2^n capped at maxMs, with equal jitter (between half the ceiling and the ceiling), so sagas that failed
 * at the same instant do not retry at the same instant, and none retries sooner than half its due wait.
 */
export function backoffMs(bounds: BackoffBounds, retryNumber: number, random: () => number): number {
  const ceiling = Math.min(bounds.maxMs, bounds.baseMs * 2 ** retryNumber);
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}
