import { RateReserveError } from './errors.js';

export const RATE_RESERVE_VARIABLE = 'ARCADIA_RATE_RESERVE';
/** The share of the token's hourly quota left to the other tools using the token (DESIGN "Budget"). */
export const DEFAULT_RATE_RESERVE_PERCENT = 20;

/**
 * ARCADIA_RATE_RESERVE as a fraction of the hourly quota: `20` or `20%` (blanks allowed, decimals too), from 0 to
 * 99; unset or blank is the default. 100 would leave arcadia nothing, so it is refused with the rest.
 */
export function parseRateReserve(raw: string | undefined, variable = RATE_RESERVE_VARIABLE): number {
  if (raw === undefined || raw.trim() === '') return DEFAULT_RATE_RESERVE_PERCENT / 100;
  const match = /^\s*(\d{1,2}(?:\.\d+)?)\s*%?\s*$/.exec(raw);
  if (!match?.[1]) throw new RateReserveError(variable, raw);
  return Number(match[1]) / 100;
}

/** How many of the hourly `limit` requests the reserve keeps: rounded up, so the reserve is never less than asked. */
export function reserveCount(limit: number, fraction: number): number {
  return Math.ceil(limit * fraction);
}

/** The hourly quota as the latest replies tell it, and the reserve applied to it. */
export interface QuotaState {
  limit: number;
  /** `ratelimit-remaining` of the latest reply. */
  remaining: number;
  /** When the oldest counted request expires (epoch ms). */
  resetAt: number;
  /** Requests of the quota kept for the other tools. */
  reserve: number;
  /** Requests sent whose replies have not come: the server may have counted them already. */
  inFlight: number;
  /**
   * While another tool keeps the count below the reserve, the earliest instant of the next probe (epoch ms): each
   * probe that finds it still below waits twice as long, so arcadia does not claim every slot that frees.
   */
  probeNotBefore?: number;
}

/** What the pacer may do with one more request, decided from the quota alone. */
export type ReserveDecision =
  | { kind: 'send' }
  /** At the reserve: nothing frees before the oldest request expires. */
  | { kind: 'wait-reset'; untilMs: number }
  /** The reset has passed, so at least one request has expired, but by how many only a reply will say. */
  | { kind: 'wait-reply' };

/**
 * The reserve rule (ARCHITECTURE.md, "The budget"): a request may leave only if, after it, the quota still holds
 * the reserve, counting requests in flight as spent. At the reserve it waits for `ratelimit-reset`; once that has
 * passed, the oldest request has expired, so one request (a probe) may go to learn how much the window freed, and
 * the others wait for its reply. Before any reply (`quota` undefined) only one request may be in flight, for the
 * same reason. Pure.
 */
export function reserveDecision(quota: QuotaState | undefined, now: number, inFlight = 0): ReserveDecision {
  if (quota === undefined) return inFlight === 0 ? { kind: 'send' } : { kind: 'wait-reply' };
  const headroom = quota.remaining - quota.inFlight - quota.reserve;
  if (now < quota.resetAt) return headroom > 0 ? { kind: 'send' } : { kind: 'wait-reset', untilMs: quota.resetAt };
  // past the reset at least one request expired: one more than the headroom may go
  if (headroom >= 0) return { kind: 'send' };
  if (quota.inFlight > 0) return { kind: 'wait-reply' };
  // below the reserve (another tool spent it): a probe, spaced out
  const notBefore = quota.probeNotBefore ?? 0;
  return now < notBefore ? { kind: 'wait-reset', untilMs: notBefore } : { kind: 'send' };
}
