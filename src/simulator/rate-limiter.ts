const HOUR_MS = 3_600_000;
/** What `ratelimit-limit` says when the hourly limit is switched off. */
const NOMINAL_HOURLY = 5000;

export interface RateDecision {
  allowed: boolean;
  headers: Record<string, string>;
  /** Set on a per-minute refusal only, as DigitalOcean documents. */
  retryAfterSeconds?: number;
}

/**
 * DigitalOcean's limits per token: each request counts for exactly one minute (burst) and one hour after it was
 * made. Refused requests are not counted, so a client that waits as told gets through.
 */
export class SimRateLimiter {
  private readonly counted = new Map<string, number[]>();

  constructor(
    private readonly limits: () => { perMinute: number | null; perHour: number | null; burstWindowMs: number },
  ) {}

  check(key: string, now: number): RateDecision {
    const { perMinute, perHour, burstWindowMs } = this.limits();
    const times = (this.counted.get(key) ?? []).filter((t) => t > now - HOUR_MS);
    this.counted.set(key, times);
    const inMinute = times.filter((t) => t > now - burstWindowMs);
    const limit = perHour ?? NOMINAL_HOURLY;
    const headers = (remaining: number, oldest: number): Record<string, string> => ({
      'ratelimit-limit': String(limit),
      'ratelimit-remaining': String(Math.max(0, remaining)),
      'ratelimit-reset': String(Math.ceil((oldest + HOUR_MS) / 1000)),
    });
    const oldest = times[0] ?? now;
    if (perMinute !== null && inMinute.length >= perMinute) {
      const frees = inMinute[inMinute.length - perMinute] ?? now;
      return {
        allowed: false,
        headers: headers(0, oldest),
        retryAfterSeconds: Math.max(1, Math.ceil((frees + burstWindowMs - now) / 1000)),
      };
    }
    if (perHour !== null && times.length >= perHour) return { allowed: false, headers: headers(0, oldest) };
    times.push(now);
    return {
      allowed: true,
      headers: headers(perHour === null ? NOMINAL_HOURLY : perHour - times.length, times[0] ?? now),
    };
  }
}
