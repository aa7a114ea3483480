/** What `ratelimit-limit` says when the hourly limit is switched off. */
const NOMINAL_HOURLY = 5000;

/** Another tool sharing a token (Terraform, monitoring): it spends that token's quota at a steady pace. */
export interface BackgroundConsumer {
  /** Requests it makes per hourly window, evenly spaced (refused ones are not counted, as for any client). */
  requestsPerHour: number;
  /** Which of the configured `tokens` it uses; default 0, the one arcadia is usually given. */
  tokenIndex?: number;
}

export interface RateLimitSettings {
  /** Per token, per burst window; null turns the limit off. */
  perMinute: number | null;
  /** Per token, per hourly window; null turns the limit off. */
  perHour: number | null;
  /** A minute, shortened so a test binds the burst limit in seconds. */
  burstWindowMs: number;
  /** An hour, shortened so a test or bench runs "an hour" in seconds. */
  hourWindowMs: number;
  background: BackgroundConsumer | null;
}

export interface RateDecision {
  allowed: boolean;
  headers: Record<string, string>;
  /** Set on a per-minute refusal only, as DigitalOcean documents. */
  retryAfterSeconds?: number;
}

/** One request the hourly quota counted: who spent it and what was left after it. */
export interface QuotaUse {
  /** The token's marker, e.g. `tokens[0]`; never the token. */
  token: string;
  atMs: number;
  /** The hourly quota left after this request, as its `ratelimit-remaining` said. */
  remaining: number;
  /** Spent by the background consumer, not by a client of the simulator. */
  background: boolean;
}

/** The quota's history, for checks that the reserve held (tools/chaos) and the bench. */
export interface QuotaReport {
  limit: number | null;
  hourWindowMs: number;
  /** Every counted request, oldest first (capped, oldest dropped). */
  uses: QuotaUse[];
  backgroundRequests: number;
}

const USE_LOG_LIMIT = 200_000;

/**
 * DigitalOcean's limits per token: each request counts for exactly one burst window and one hourly window after it
 * was made, on its own timer, and `ratelimit-reset` is when the oldest counted request expires (epoch seconds).
 * Refused requests are not counted, so a client that waits as told gets through. A background consumer, when set,
 * spends its token's quota as another tool would; its requests are replayed lazily on each check (no timers), so an
 * injected clock drives it too.
 */
export class SimRateLimiter {
  private readonly counted = new Map<string, number[]>();
  private readonly uses: QuotaUse[] = [];
  private backgroundNextAt: number | undefined;
  private backgroundCount = 0;

  /** `startMs`: when the background consumer (if any) makes its first request. */
  constructor(
    private readonly settings: () => RateLimitSettings,
    private startMs: number,
  ) {}

  check(key: string, now: number): RateDecision {
    this.replayBackground(now);
    const decision = this.decide(key, now);
    if (decision.allowed) this.record(key, now, false);
    return decision;
  }

  report(): QuotaReport {
    const { perHour, hourWindowMs } = this.settings();
    return { limit: perHour, hourWindowMs, uses: this.uses, backgroundRequests: this.backgroundCount };
  }

  /** The consumer's requests due by `now`, each at its own instant, counted only where the limits allowed it. */
  private replayBackground(now: number): void {
    const { background, hourWindowMs } = this.settings();
    if (background === null || background.requestsPerHour <= 0) {
      this.backgroundNextAt = undefined;
      this.startMs = Number.NEGATIVE_INFINITY;
      return;
    }
    const interval = hourWindowMs / background.requestsPerHour;
    const key = `tokens[${background.tokenIndex ?? 0}]`;
    // a consumer configured later starts then
    let at = this.backgroundNextAt ?? (Number.isFinite(this.startMs) ? this.startMs : now);
    for (; at <= now; at += interval) {
      if (this.decide(key, at).allowed) {
        this.record(key, at, true);
        this.backgroundCount += 1;
      }
    }
    this.backgroundNextAt = at;
  }

  private window(key: string, now: number): number[] {
    const times = (this.counted.get(key) ?? []).filter((t) => t > now - this.settings().hourWindowMs);
    this.counted.set(key, times);
    return times;
  }

  private record(key: string, now: number, background: boolean): void {
    const times = this.window(key, now);
    times.push(now);
    const { perHour } = this.settings();
    const remaining = perHour === null ? NOMINAL_HOURLY : Math.max(0, perHour - times.length);
    this.uses.push({ token: key, atMs: now, remaining, background });
    if (this.uses.length > USE_LOG_LIMIT) this.uses.splice(0, this.uses.length - USE_LOG_LIMIT);
  }

  private decide(key: string, now: number): RateDecision {
    const { perMinute, perHour, burstWindowMs, hourWindowMs } = this.settings();
    const times = this.window(key, now);
    const inMinute = times.filter((t) => t > now - burstWindowMs);
    const limit = perHour ?? NOMINAL_HOURLY;
    const headers = (remaining: number, oldest: number): Record<string, string> => ({
      'ratelimit-limit': String(limit),
      'ratelimit-remaining': String(Math.max(0, remaining)),
      'ratelimit-reset': String(Math.ceil((oldest + hourWindowMs) / 1000)),
    });
    const oldest = times[0] ?? now;
    if (perMinute !== null && inMinute.length >= perMinute) {
      const frees = inMinute[inMinute.length - perMinute] ?? now;
      // DigitalOcean's burst 429 reads remaining 0 although hourly quota is left (ARCHITECTURE.md)
      return {
        allowed: false,
        headers: headers(0, oldest),
        retryAfterSeconds: Math.max(1, Math.ceil((frees + burstWindowMs - now) / 1000)),
      };
    }
    if (perHour !== null && times.length >= perHour) return { allowed: false, headers: headers(0, oldest) };
    // the headers describe the window with this request in it
    const remaining = perHour === null ? NOMINAL_HOURLY : perHour - times.length - 1;
    return { allowed: true, headers: headers(remaining, times[0] ?? now) };
  }
}
