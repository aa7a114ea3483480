import { afterEach, describe, expect, it } from 'vitest';
import { quotaReserveViolations } from '../../tools/chaos/quota.js';
import { FAST_SIMULATOR, arcadia, invariantViolations, sandbox, type Sandbox } from './harness.js';

let box: Sandbox | undefined;
afterEach(async () => {
  await box?.cleanup();
  box = undefined;
});

/** An "hour" of 6 s with its minute to scale (1/600 of real time), so the quota binds in seconds. */
const HOUR_MS = 6000;
const MINUTE_MS = 100;
const PER_HOUR = 100;
const PER_MINUTE = 10; // 10% of the hourly limit (DigitalOcean's is 5%), so bursts do not hide the quota

function scaledQuota(extra: Partial<typeof FAST_SIMULATOR> = {}): typeof FAST_SIMULATOR {
  return {
    ...FAST_SIMULATOR,
    droplets: [],
    fleet: { count: 120, tag: 'web', firstId: 30_000 },
    actionDurationMs: { snapshot: 200 },
    snapshotListingLagMs: 50,
    rateLimitPerHour: PER_HOUR,
    hourlyWindowMs: HOUR_MS,
    rateLimitPerMinute: PER_MINUTE,
    burstWindowMs: MINUTE_MS,
    ...extra,
  };
}

const SCALED_ENV = {
  // a little under the simulator's, as timing skew between the two windows would otherwise give a few 429s
  ARCADIA_RATE_LIMIT_PER_MINUTE: String(PER_MINUTE - 2),
  ARCADIA_RATE_LIMIT_WINDOW_MS: String(MINUTE_MS),
  ARCADIA_RATE_QUOTA_WINDOW_MS: String(HOUR_MS),
};

describe('a batch under the hourly quota', () => {
  it('does not fit: says so once, keeps the 20% reserve, meets no 429 storm, and succeeds', async () => {
    box = await sandbox(scaledQuota(), SCALED_ENV);
    const run = await arcadia(['snapshot', '--tag', 'web', '--concurrency', '10'], box.env);
    expect(run.code, run.stderr.slice(-2000)).toBe(0);
    const notices = run.stderr.split('\n').filter((line) => line.includes('hourly API quota: '));
    expect(notices).toHaveLength(1);
    expect(notices[0]).toMatch(
      new RegExp(
        'hourly API quota: \\d+ of 100 left above the 20% reserve; ' +
          'this batch needs about [\\d,]+ requests and will take about \\d+ (s|min) longer',
      ),
    );
    expect(run.stderr).not.toContain('arcadia-simulator-token');

    const state = box.sim.state();
    const refused = state.requests.filter((r) => r.status === 429);
    expect(refused.filter((r) => r.fault === null).length, 'no storm of burst refusals').toBeLessThanOrEqual(5);
    const reserve = quotaReserveViolations(state.quota, { reserveFraction: 0.2, blindRequests: 0, graceMs: 0 });
    expect(reserve.violations).toEqual([]);
    expect(reserve.reserve).toBe(20);
    // more requests than one hour's quota above the reserve (120 sagas of at least one POST each): the quota bound this
    // batch, the window freed and the batch went on
    console.log(
      `hourly quota e2e: ${state.quota.uses.length} requests, lowest left ${reserve.lowestRemaining} (reserve 20), ` +
        `${refused.length} x 429; ${notices[0]}`,
    );
    expect(state.quota.uses.length).toBeGreaterThan(PER_HOUR - 20);
    expect(invariantViolations(box.home, box.sim)).toEqual([]);
  }, 120_000);

  it('beside another tool on the token: --json carries the notice, the reserve holds', async () => {
    box = await sandbox(scaledQuota({ backgroundConsumer: { requestsPerHour: 30 } }), {
      ...SCALED_ENV,
      ARCADIA_RATE_RESERVE: '25%',
    });
    const run = await arcadia(['snapshot', '--tag', 'web', '--concurrency', '10', '--json'], box.env);
    expect(run.code, run.stderr.slice(-2000)).toBe(0);
    const entries = JSON.parse(run.stdout) as { status: string; quota?: Record<string, unknown> }[];
    expect(entries).toHaveLength(120);
    expect(entries.every((e) => e.status === 'succeeded')).toBe(true);
    expect(entries[0]?.quota).toMatchObject({ limit: 100, reservePercent: 25, neededRequests: expect.any(Number) });
    expect(String(entries[0]?.quota?.message)).toMatch(/^hourly API quota: .* left above the 25% reserve;/);
    expect(run.stderr).not.toContain('hourly API quota');

    const state = box.sim.state();
    expect(state.quota.backgroundRequests).toBeGreaterThan(0);
    const reserve = quotaReserveViolations(state.quota, { reserveFraction: 0.25, blindRequests: 0, graceMs: 250 });
    expect(reserve.violations).toEqual([]);
    expect(state.requests.filter((r) => r.status === 429 && r.fault === null).length).toBeLessThanOrEqual(5);
  }, 120_000);
});
