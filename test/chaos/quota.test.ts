import { describe, expect, it } from 'vitest';
import type { QuotaReport, QuotaUse } from '../../src/simulator/index.js';
import { quotaReserveViolations } from '../../tools/chaos/quota.js';

const CHECK = { reserveFraction: 0.2, blindRequests: 0, graceMs: 100 };
const own = (atMs: number, remaining: number, token = 'tokens[0]'): QuotaUse => ({
  token,
  atMs,
  remaining,
  background: false,
});
const background = (atMs: number): QuotaUse => ({ token: 'tokens[0]', atMs, remaining: 0, background: true });
const report = (uses: QuotaUse[]): QuotaReport => ({
  limit: 100,
  hourWindowMs: 10_000,
  uses,
  backgroundRequests: uses.filter((u) => u.background).length,
});

describe('quotaReserveViolations', () => {
  it('passes a run that stops at the reserve, and reports the lowest count it left', () => {
    const finding = quotaReserveViolations(report([own(0, 22), own(10, 21), own(20, 20)]), CHECK);
    expect(finding).toEqual({ violations: [], lowestRemaining: 20, reserve: 20 });
  });

  it('finds a request of arcadia that spent into the reserve', () => {
    const finding = quotaReserveViolations(report([own(0, 21), own(10, 20), own(20, 19)]), CHECK);
    expect(finding.violations).toHaveLength(1);
    expect(finding.violations[0]).toMatchObject({ rule: 'quota-reserve' });
    expect(finding.violations[0]?.message).toContain('left 19 of the hourly 100, below the reserve of 20');
  });

  it('excuses what the background consumer took since arcadia last heard, not what it took before', () => {
    // two background requests after arcadia's reply at 0 and before its request at 50 (inside the grace: unknown)
    const unseen = report([own(0, 22), background(20), background(30), own(50, 19)]);
    expect(quotaReserveViolations(unseen, CHECK).violations).toEqual([]);
    // the same two, long before a reply arcadia had heard (at 500): it knew, and still spent into the reserve
    const seen = report([background(20), background(30), own(500, 21), own(1000, 19)]);
    expect(quotaReserveViolations(seen, CHECK).violations).toHaveLength(1);
  });

  it('below the reserve already (the consumer took it), a probe may take the slot that freed, no more', () => {
    const taken = [own(0, 21), ...[100, 200, 300, 400, 500, 600].map(background), own(1000, 15)];
    const probe = report([...taken, own(2000, 15)]);
    expect(quotaReserveViolations(probe, CHECK).violations).toEqual([]);
    const greedy = report([...taken, own(2000, 15), own(2001, 14)]);
    expect(quotaReserveViolations(greedy, { ...CHECK, graceMs: 0 }).violations).toHaveLength(1);
  });

  it('allows one blind first request per process, and keeps tokens apart', () => {
    const uses = report([own(0, 19), own(5, 50, 'tokens[1]')]);
    expect(quotaReserveViolations(uses, CHECK).violations).toHaveLength(1);
    expect(quotaReserveViolations(uses, { ...CHECK, blindRequests: 1 }).violations).toEqual([]);
  });

  it('has nothing to check with the hourly limit off', () => {
    expect(quotaReserveViolations({ ...report([own(0, 5000)]), limit: null }, CHECK)).toEqual({
      violations: [],
      lowestRemaining: undefined,
      reserve: undefined,
    });
  });
});
