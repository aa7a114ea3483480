import { type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ledgerPath, openLedgerDatabase } from '../../src/db/open.js';
import { SqliteLedgerCore } from '../../src/db/sqlite-ledger-core.js';
import {
  DEFAULT_SIMULATOR_TOKEN,
  startSimulator,
  type RunningSimulator,
  type SimulatorConfigInput,
} from '../../src/simulator/index.js';
import type { SagaRecord } from '../../src/engine/types.js';
import { checkInvariants, isViolation } from '../../tools/chaos/invariants.js';
import { readSqliteLedger } from '../../tools/chaos/ledger.js';
import { ARCADIA_BIN, spawnArcadia } from '../../tools/lib/spawn-arcadia.js';

export const BIN = ARCADIA_BIN;

/** Fast, fault-free, realistic in shape: a snapshot takes 300 ms and is listed 120 ms after it completes. */
export const FAST_SIMULATOR: SimulatorConfigInput = {
  droplets: [
    { id: 1001, name: 'web-1', tags: ['web'] },
    { id: 1002, name: 'web-2', tags: ['web'] },
  ],
  actionDurationMs: { snapshot: 300, shutdown: 100, power_off: 60, power_on: 80 },
  actionJitterMs: 0,
  snapshotListingLagMs: 400,
  deletedListingLingerMs: 100,
  unlockLagMs: 40,
  powerStatusLagMs: 30,
  rateLimitPerMinute: null,
  rateLimitPerHour: null,
};

export interface Sandbox {
  home: string;
  sim: RunningSimulator;
  env: NodeJS.ProcessEnv;
  cleanup(): Promise<void>;
}

/** An arcadia process's environment against `sim` with `home`, every wait short so tests run in seconds. */
export function fastEnv(home: string, sim: Pick<RunningSimulator, 'url'>): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    NO_COLOR: '1',
    ARCADIA_HOME: home,
    ARCADIA_API_URL: sim.url,
    DIGITALOCEAN_ACCESS_TOKEN: DEFAULT_SIMULATOR_TOKEN,
    ARCADIA_POLL_INTERVAL_MS: '40',
    ARCADIA_LOOKUP_INTERVAL_MS: '40',
    ARCADIA_LOOKUP_ATTEMPTS: '50',
    ARCADIA_RETRY_BASE_MS: '20',
    ARCADIA_HTTP_TIMEOUT_MS: '3000',
    ARCADIA_LOCK_STALE_MS: '3000',
  };
}

export async function sandbox(
  config: SimulatorConfigInput = FAST_SIMULATOR,
  extraEnv: NodeJS.ProcessEnv = {},
): Promise<Sandbox> {
  const sim = await startSimulator(config);
  const home = mkdtempSync(join(tmpdir(), 'arcadia-e2e-'));
  const env: NodeJS.ProcessEnv = { ...fastEnv(home, sim), ...extraEnv };
  return {
    home,
    sim,
    env,
    cleanup: async () => {
      await sim.close();
      rmSync(home, { recursive: true, force: true });
    },
  };
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export function start(
  args: string[],
  env: NodeJS.ProcessEnv,
  cwd?: string,
): { child: ChildProcess; done: Promise<RunResult> } {
  const spawned = spawnArcadia(args, { env, ...(cwd !== undefined ? { cwd } : {}) });
  const done = spawned.done.then(({ code, signal, stdout, stderr }): RunResult => ({ code, signal, stdout, stderr }));
  return { child: spawned.child, done };
}

export function arcadia(args: string[], env: NodeJS.ProcessEnv): Promise<RunResult> {
  return start(args, env).done;
}

export function readSagas(home: string): SagaRecord[] {
  const ledger = new SqliteLedgerCore(openLedgerDatabase({ home, busyTimeoutMs: 5000 }), ledgerPath(home), 5000);
  try {
    return ledger
      .listSagas({ limit: 10_000 })
      .map((s) => ledger.getSaga(s.id))
      .filter((s): s is SagaRecord => s !== undefined);
  } finally {
    ledger.close();
  }
}

/**
 * The promises of ARCHITECTURE.md, checked against the simulator's full state (deleted snapshots included) and the
 * ledger by the chaos suite's checker: every saga terminal; exactly one snapshot per succeeded snapshot saga, none left
 * per rolled-back one; no deleted snapshot that arcadia did not make; step results in order. A compensation_failed saga
 * is a documented outcome (exit 5), not a broken promise, as in `npm run chaos` without --strict.
 */
export function invariantViolations(home: string, sim: RunningSimulator): string[] {
  return checkInvariants(readSqliteLedger(home), sim.state())
    .filter((v) => isViolation(v, {}))
    .map((v) => v.message);
}

/** The simulator's seeded PRNG, so a failing random run can be replayed. */
export { mulberry32 as seededRandom } from '../../src/simulator/prng.js';
