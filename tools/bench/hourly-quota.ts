import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_SIMULATOR_TOKEN, startSimulator } from '../../src/simulator/index.js';
import { quotaReserveViolations } from '../chaos/quota.js';
import { baseEnv, expectExit, met, runArcadia } from './process.js';
import type { BenchRow } from './types.js';

const DROPLETS = 500;
/** As the fleet bench runs it: every saga at once, so the quota, not the pool, is what may bind. */
const CONCURRENCY = DROPLETS;
/** DigitalOcean's real quotas, per token: 5,000 a sliding hour and 250 a minute, and the default 20% reserve. */
const PER_HOUR = 5000;
const PER_MINUTE = 250;
const RESERVE = 0.2;
/** An hour of 30 s: the same shape, so the batch runs in under a minute. */
const TIME_SCALE = 120;
const HOUR_MS = 3_600_000 / TIME_SCALE;
const MINUTE_MS = 60_000 / TIME_SCALE;
const ACTION_MS = 120_000 / TIME_SCALE;
const POLL_MS = Math.round(5_000 / TIME_SCALE);

/**
 * The least time `requests` can take under the quota, starting from a full one: what fits above the reserve goes
 * at the burst budget's pace, the rest only as the first ones expire, a window later.
 */
export function quotaIdealMs(requests: number): number {
  const usable = PER_HOUR * (1 - RESERVE);
  const burstMs = (requests / PER_MINUTE) * MINUTE_MS;
  if (requests <= usable) return burstMs;
  const windows = Math.ceil(requests / usable) - 1;
  return Math.max(burstMs, windows * HOUR_MS + ((requests - windows * usable) / PER_MINUTE) * MINUTE_MS);
}

/**
 * The 500-droplet batch under the real quotas scaled down in time: its wall time against the ideal the quota
 * allows for the requests it made, the 429s it met, and the lowest hourly count it left against the reserve.
 */
export async function benchHourlyQuota(): Promise<BenchRow[]> {
  const sim = await startSimulator({
    fleet: { count: DROPLETS, tag: 'bench-quota', firstId: 900_001 },
    actionDurationMs: { snapshot: ACTION_MS },
    actionJitterMs: 0,
    snapshotListingLagMs: POLL_MS,
    rateLimitPerHour: PER_HOUR,
    hourlyWindowMs: HOUR_MS,
    rateLimitPerMinute: PER_MINUTE,
    burstWindowMs: MINUTE_MS,
    requestLogLimit: 0,
  });
  const home = mkdtempSync(join(tmpdir(), 'arcadia-bench-quota-'));
  try {
    const env = baseEnv({
      ARCADIA_HOME: home,
      ARCADIA_API_URL: sim.url,
      DIGITALOCEAN_ACCESS_TOKEN: DEFAULT_SIMULATOR_TOKEN,
      ARCADIA_POLL_INTERVAL_MS: String(POLL_MS),
      ARCADIA_LOOKUP_INTERVAL_MS: String(POLL_MS),
      ARCADIA_RATE_LIMIT_PER_MINUTE: String(PER_MINUTE),
      ARCADIA_RATE_LIMIT_WINDOW_MS: String(MINUTE_MS),
      ARCADIA_RATE_QUOTA_WINDOW_MS: String(HOUR_MS),
      ARCADIA_RATE_RESERVE: String(RESERVE * 100),
    });
    const run = expectExit(
      await runArcadia(['snapshot', '--tag', 'bench-quota', '--concurrency', String(CONCURRENCY)], env),
      'arcadia snapshot --tag (hourly quota)',
    );
    const state = sim.state();
    const made = state.snapshots.filter((s) => s.deletedAt === null && s.name.startsWith('arcadia-snap-')).length;
    if (made !== DROPLETS) throw new Error(`batch made ${made} snapshots for ${DROPLETS} droplets`);
    const refused = state.counters.rateLimited;
    const served = state.quota.uses.length;
    const finding = quotaReserveViolations(state.quota, { reserveFraction: RESERVE, blindRequests: 0, graceMs: 0 });
    const reserve = finding.reserve ?? 0;
    const lowest = finding.lowestRemaining ?? PER_HOUR;
    // nothing is faster than one snapshot action per round of the pool, whatever the quota allows
    const floorMs = Math.ceil(DROPLETS / CONCURRENCY) * ACTION_MS;
    const idealS = Math.max(quotaIdealMs(served), floorMs) / 1000;
    const wallS = run.ms / 1000;
    const notice = run.stderr.split('\n').find((line) => line.includes('hourly API quota: '));
    const scale = `1/${TIME_SCALE} time (an hour of ${HOUR_MS / 1000} s)`;
    return [
      {
        name: `batch of ${DROPLETS} snapshots under 5,000/h and 250/min at ${scale}`,
        value: wallS,
        unit: 's',
        baseline: idealS,
        ratio: wallS / idealS,
        note:
          `ideal = the least the quota allows for its ${served} requests (${(served / DROPLETS).toFixed(1)} per ` +
          `snapshot) above the ${RESERVE * 100}% reserve, at least one ${ACTION_MS / 1000} s action; ` +
          `--concurrency ${CONCURRENCY}; ` +
          (notice ? `said: "${notice.replace(/^\S+ /, '')}"` : 'no quota notice (it fit)'),
      },
      {
        name: `${DROPLETS}-droplet batch: 429s sent by the simulator`,
        value: refused,
        unit: '429s',
        note: `target 0: ${met(refused === 0)}`,
      },
      {
        name: `${DROPLETS}-droplet batch: lowest hourly quota left after its requests`,
        value: lowest,
        unit: 'requests',
        baseline: reserve,
        ratio: reserve > 0 ? lowest / reserve : undefined,
        note: `never below the reserve of ${reserve}: ${met(finding.violations.length === 0)}`,
      },
    ];
  } finally {
    await sim.close();
    rmSync(home, { recursive: true, force: true });
  }
}
