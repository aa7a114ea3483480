import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSimulator } from '../../src/simulator/index.js';
import { expectExit, runArcadia } from './process.js';
import { TIME_SCALE, scaledSimulatorEnv } from './snapshot-polling.js';
import type { BenchRow } from './types.js';

const DROPLETS = 200;
const CONCURRENCY = 20;
/** DigitalOcean's 250 a minute would make this run minutes long; the same shape in a 5 s window binds in seconds. */
const LIMIT = 300;
const WINDOW_MS = 5_000;
const ACTION_MS = 120_000 / TIME_SCALE;

/**
 * A fleet snapshot (`snapshot --tag`) whose requests the rate limit, not the snapshots, bounds: wall time against
 * the least time the limit allows for the requests the run made, and how many 429s the simulator had to send.
 */
export async function benchBatchRateLimit(): Promise<BenchRow[]> {
  const sim = await startSimulator({
    fleet: { count: DROPLETS, tag: 'bench-fleet', firstId: 800_001 },
    actionDurationMs: { snapshot: ACTION_MS },
    actionJitterMs: 0,
    snapshotListingLagMs: 5_000 / TIME_SCALE,
    rateLimitPerMinute: LIMIT,
    burstWindowMs: WINDOW_MS,
    // Off, so only the burst limit binds (DigitalOcean's 5000 an hour would, after 4,750 requests, spread the rest).
    rateLimitPerHour: null,
    requestLogLimit: 0,
  });
  const home = mkdtempSync(join(tmpdir(), 'arcadia-bench-batch-'));
  try {
    const env = scaledSimulatorEnv(home, sim.url, {
      ARCADIA_RATE_LIMIT_PER_MINUTE: String(LIMIT),
      ARCADIA_RATE_LIMIT_WINDOW_MS: String(WINDOW_MS),
    });
    const run = expectExit(
      await runArcadia(['snapshot', '--tag', 'bench-fleet', '--concurrency', String(CONCURRENCY)], env),
      'arcadia snapshot --tag',
    );
    const state = sim.state();
    const made = state.snapshots.filter((s) => s.deletedAt === null && s.name.startsWith('arcadia-snap-')).length;
    if (made !== DROPLETS) throw new Error(`batch made ${made} snapshots for ${DROPLETS} droplets`);
    const refused = state.counters.rateLimited;
    const served = state.counters.requests - refused;
    const idealMs = (served / LIMIT) * WINDOW_MS;
    const wallS = run.ms / 1000;
    // Below this no batch goes, whatever the limit: ceil(droplets / concurrency) rounds of one snapshot action each.
    const floorS = (Math.ceil(DROPLETS / CONCURRENCY) * ACTION_MS) / 1000;
    const idealS = idealMs / 1000;
    return [
      {
        name: `batch of ${DROPLETS} snapshots under a binding rate limit`,
        value: wallS,
        unit: 's',
        baseline: idealS,
        ratio: wallS / idealS,
        note:
          `ideal = ${served} requests served / ${LIMIT} per ${WINDOW_MS / 1000} s; ` +
          `--concurrency ${CONCURRENCY}, client budget = simulator limit; ` +
          `${(served / DROPLETS).toFixed(1)} requests/snapshot; 2-min snapshots at 1/${TIME_SCALE} time ` +
          `(concurrency floor ${floorS.toFixed(0)} s: ` +
          `the ratio means something only while ideal > floor); no target set (1.00 = every request slot used)`,
      },
      {
        name: 'batch: 429s sent by the simulator',
        value: refused,
        unit: '429s',
        note: `of ${state.counters.requests} requests; expected 0 (the client paces to the same budget)`,
      },
    ];
  } finally {
    await sim.close();
    rmSync(home, { recursive: true, force: true });
  }
}
