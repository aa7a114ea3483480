import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_SIMULATOR_TOKEN, startSimulator, type RunningSimulator } from '../../src/simulator/index.js';
import { baseEnv, expectExit, met, runArcadia } from './process.js';
import type { BenchRow } from './types.js';

/**
 * Requests per snapshot of a whole fleet run as one batch with its fleet watcher (ARCHITECTURE.md, "The fleet
 * watcher"): a first run into an empty ledger (no history anywhere: the fleet times itself by its first completions),
 * then a second run of the same fleet (each droplet's own history). Real DigitalOcean times divided by TIME_SCALE;
 * 1/10 and not the polling bench's 1/40, because DigitalOcean stamps actions in whole seconds and a fleet's POSTs
 * cannot all be aligned on a second: at 1/10 a stamp is off by at most 10 real seconds of a 2-minute snapshot.
 */
const TIME_SCALE = 10;
const REAL_ACTION_MS = 120_000;
/** Real snapshots of one size vary: up to a quarter of the time more. */
const REAL_JITTER_MS = 30_000;
const REAL_LISTING_LAG_MS = 5_000;
const REAL_POLL_MS = 5_000;
/** DigitalOcean's burst limit, 250 a minute, in scaled time (the hourly quota is the quota bench's). */
const PER_MINUTE = 250;
const WINDOW_MS = 60_000 / TIME_SCALE;
const TARGET_WITH_HISTORY = 1.5;
const TARGET_WITHOUT = 2;

interface FleetRun {
  requests: number;
  deletes: number;
  byPath: Map<string, number>;
  seconds: number;
}

function pathKind(path: string, method: string): string {
  if (method === 'POST') return 'POST';
  if (path === '/v2/actions') return 'actions pages';
  if (/^\/v2\/actions\/\d+$/.test(path)) return 'action GETs';
  if (path === '/v2/snapshots') return 'account snapshot pages';
  if (/^\/v2\/droplets\/\d+\/snapshots$/.test(path)) return 'droplet snapshot listings';
  if (path === '/v2/droplets') return 'droplet listing pages';
  return `other ${method} ${path.replace(/\d+/g, 'N')}`;
}

async function snapshotFleet(sim: RunningSimulator, home: string, tag: string, count: number): Promise<FleetRun> {
  const fromSeq = sim.state().counters.requests;
  const env = baseEnv({
    ARCADIA_HOME: home,
    ARCADIA_API_URL: sim.url,
    DIGITALOCEAN_ACCESS_TOKEN: DEFAULT_SIMULATOR_TOKEN,
    ARCADIA_POLL_INTERVAL_MS: String(REAL_POLL_MS / TIME_SCALE),
    ARCADIA_LOOKUP_INTERVAL_MS: String(REAL_POLL_MS / TIME_SCALE),
    ARCADIA_RATE_LIMIT_PER_MINUTE: String(PER_MINUTE),
    ARCADIA_RATE_LIMIT_WINDOW_MS: String(WINDOW_MS),
  });
  const run = expectExit(
    await runArcadia(['snapshot', '--tag', tag, '--concurrency', String(count)], env),
    `arcadia snapshot --tag ${tag}`,
  );
  const state = sim.state();
  const requests = state.requests.filter((r) => r.seq > fromSeq);
  if (state.counters.requests - fromSeq !== requests.length)
    throw new Error('the request log dropped entries: raise requestLogLimit');
  const byPath = new Map<string, number>();
  for (const r of requests) byPath.set(pathKind(r.path, r.method), (byPath.get(pathKind(r.path, r.method)) ?? 0) + 1);
  const deletes = requests.filter((r) => r.method === 'DELETE').length;
  return { requests: requests.length, deletes, byPath, seconds: run.ms / 1000 };
}

function row(count: number, label: string, run: FleetRun, target: number): BenchRow {
  const perSnapshot = (run.requests - run.deletes) / count;
  const parts = [...run.byPath.entries()].sort((a, b) => b[1] - a[1]).map(([kind, n]) => `${n} ${kind}`);
  return {
    name: `fleet of ${count}, ${label}: API requests per snapshot`,
    value: perSnapshot,
    unit: 'requests',
    baseline: 11.2,
    ratio: perSnapshot / 11.2,
    note:
      `target <= ${target}: ${met(perSnapshot <= target)}; ` +
      `${run.requests - run.deletes} requests (${parts.join(', ')}); ` +
      `--concurrency ${count}, 2-min snapshots (+ up to 30 s), 5 s listing lag, 250/min, at 1/${TIME_SCALE} time, ` +
      `${run.seconds.toFixed(1)} s wall; baseline: 11.2 per snapshot before the watcher (200 droplets)`,
  };
}

/** A 200- and a 500-droplet fleet, each run twice into its own ledger: without history, then with. */
export async function benchFleetWatch(): Promise<BenchRow[]> {
  const fleets = [
    { count: 200, tag: 'bench-200', firstId: 900_001 },
    { count: 500, tag: 'bench-500', firstId: 910_001 },
  ];
  const sim = await startSimulator({
    fleet: fleets,
    actionDurationMs: { snapshot: REAL_ACTION_MS / TIME_SCALE },
    actionJitterMs: REAL_JITTER_MS / TIME_SCALE,
    snapshotListingLagMs: REAL_LISTING_LAG_MS / TIME_SCALE,
    unlockLagMs: 1_000 / TIME_SCALE,
    rateLimitPerMinute: PER_MINUTE,
    burstWindowMs: WINDOW_MS,
    rateLimitPerHour: null,
    requestLogLimit: 100_000,
  });
  const rows: BenchRow[] = [];
  try {
    for (const { count, tag } of fleets) {
      const home = mkdtempSync(join(tmpdir(), 'arcadia-bench-fleet-'));
      try {
        const first = await snapshotFleet(sim, home, tag, count);
        const second = await snapshotFleet(sim, home, tag, count);
        rows.push(row(count, 'no history (first run)', first, TARGET_WITHOUT));
        rows.push(row(count, 'with history (second run)', second, TARGET_WITH_HISTORY));
      } finally {
        rmSync(home, { recursive: true, force: true });
      }
    }
    const made = sim.state().snapshots.filter((s) => s.deletedAt === null && s.name.startsWith('arcadia-snap-'));
    const expected = 2 * fleets.reduce((n, f) => n + f.count, 0);
    if (made.length !== expected) throw new Error(`the fleets made ${made.length} snapshots, expected ${expected}`);
    return rows;
  } finally {
    await sim.close();
  }
}
