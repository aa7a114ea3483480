import type { QuotaReport, QuotaUse } from '../../src/simulator/index.js';
import type { Violation } from './invariants.js';

export interface ReserveCheck {
  /** ARCADIA_RATE_RESERVE as a fraction. */
  reserveFraction: number;
  /**
   * Requests that may go before their process knows the quota: each arcadia process's first request is sent blind
   * (no header has come yet), so each may land one below the reserve. The number of processes of the run.
   */
  blindRequests: number;
  /** How long after a reply arcadia may still act on it: background requests this recent were unknown to it. */
  graceMs: number;
}

export interface ReserveFinding {
  violations: Violation[];
  /** The lowest hourly count left after one of arcadia's requests; undefined when the quota never counted one. */
  lowestRemaining: number | undefined;
  reserve: number | undefined;
}

/**
 * The quota reserve on the wire (ARCHITECTURE.md, "The budget"): after each request of arcadia's, the hourly quota
 * left must hold the reserve (or, when the background consumer had already taken it, what arcadia last heard was
 * left), less what the consumer took that arcadia could not yet know of (since the last of its own replies older
 * than `graceMs`) and the blind first requests of its processes. Pure.
 */
export function quotaReserveViolations(report: QuotaReport, check: ReserveCheck): ReserveFinding {
  if (report.limit === null) return { violations: [], lowestRemaining: undefined, reserve: undefined };
  const reserve = Math.ceil(report.limit * check.reserveFraction);
  const violations: Violation[] = [];
  let lowestRemaining: number | undefined;
  const byToken = new Map<string, QuotaUse[]>();
  for (const use of report.uses) byToken.set(use.token, [...(byToken.get(use.token) ?? []), use]);
  for (const [token, uses] of byToken) {
    const own = uses.filter((u) => !u.background);
    const background = uses.filter((u) => u.background).map((u) => u.atMs);
    for (const [index, use] of own.entries()) {
      lowestRemaining = Math.min(lowestRemaining ?? use.remaining, use.remaining);
      const known = own
        .slice(0, index)
        .filter((u) => u.atMs <= use.atMs - check.graceMs)
        .at(-1);
      const since = Math.max(known?.atMs ?? Number.NEGATIVE_INFINITY, use.atMs - report.hourWindowMs);
      const unseen = background.filter((at) => at > since && at <= use.atMs).length;
      // Below the reserve already (the consumer took it), a probe may go: it takes the slot that freed, so it
      // leaves no less than arcadia last heard of.
      const floor = Math.min(reserve, known?.remaining ?? reserve) - unseen - check.blindRequests;
      if (use.remaining < floor) {
        violations.push({
          rule: 'quota-reserve',
          message:
            `${token}: a request at ${new Date(use.atMs).toISOString()} left ${use.remaining} of the hourly ` +
            `${report.limit}, below the reserve of ${reserve} (${unseen} taken by the background consumer ` +
            `unseen, ${check.blindRequests} blind first request(s) allowed)`,
        });
      }
    }
  }
  return { violations, lowestRemaining, reserve };
}
