import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ledgerPath, openLedgerDatabase } from '../../src/db/open.js';
import { SqliteSagaLedger } from '../../src/db/sqlite-ledger.js';
import { DEFAULT_SIMULATOR_TOKEN, startSimulator, type RunningSimulator, type SimulatorConfigInput } from '../../src/digitalocean/simulator/index.js';
import { isTerminal, type SagaRecord } from '../../src/engine/types.js';
import { parseSnapshotName, snapshotName } from '../../src/sagas/snapshot/naming.js';

export const BIN = fileURLToPath(new URL('../../bin/arcadia.js', import.meta.url));

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

export async function sandbox(config: SimulatorConfigInput = FAST_SIMULATOR, extraEnv: NodeJS.ProcessEnv = {}): Promise<Sandbox> {
  const sim = await startSimulator(config);
  const home = mkdtempSync(join(tmpdir(), 'arcadia-e2e-'));
  const env: NodeJS.ProcessEnv = {
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
    ...extraEnv,
  };
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

export function start(args: string[], env: NodeJS.ProcessEnv): { child: ChildProcess; done: Promise<RunResult> } {
  const child = spawn(process.execPath, [BIN, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<RunResult>((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
  return { child, done };
}

export function arcadia(args: string[], env: NodeJS.ProcessEnv): Promise<RunResult> {
  return start(args, env).done;
}

export function readSagas(home: string): SagaRecord[] {
  const ledger = new SqliteSagaLedger(openLedgerDatabase({ home, busyTimeoutMs: 5000 }), ledgerPath(home), 5000);
  try {
    return ledger.listSagas({ limit: 10_000 }).map((s) => ledger.getSaga(s.id)).filter((s): s is SagaRecord => s !== undefined);
  } finally {
    ledger.close();
  }
}

function inputOf(saga: SagaRecord, key: string): unknown {
  const inputs = saga.context.__inputs__;
  return inputs && typeof inputs === 'object' && !Array.isArray(inputs) ? inputs[key] : undefined;
}

/**
 * The promises of DESIGN.md, checked against the simulator's full state (deleted snapshots included) and the ledger:
 * every saga terminal; exactly one snapshot ever made and still there per succeeded snapshot saga, none left per
 * rolled-back one; no deleted snapshot that arcadia did not make; step results in order.
 */
export function invariantViolations(home: string, sim: RunningSimulator): string[] {
  const violations: string[] = [];
  const sagas = readSagas(home);
  const state = sim.state();
  for (const saga of sagas) {
    if (!isTerminal(saga.status)) violations.push(`saga ${saga.id} left ${saga.status}`);
    const firstPending = saga.steps.findIndex((s) => s.status === 'pending');
    if (firstPending >= 0 && saga.steps.slice(firstPending).some((s) => s.status !== 'pending')) {
      violations.push(`saga ${saga.id} has step results out of order: ${saga.steps.map((s) => s.status).join(',')}`);
    }
    if (!saga.stepNames.includes('create_droplet_snapshot')) continue;
    const dropletId = Number(inputOf(saga, 'droplet_provider_id'));
    const label = inputOf(saga, 'label');
    const name = snapshotName(dropletId, saga.id, typeof label === 'string' ? label : undefined);
    const made = state.snapshots.filter((s) => s.name === name);
    const alive = made.filter((s) => s.deletedAt === null);
    if (made.length > 1) violations.push(`saga ${saga.id} (${saga.status}) made ${made.length} snapshots named ${name}`);
    if (saga.status === 'succeeded') {
      if (alive.length !== 1) violations.push(`succeeded saga ${saga.id} has ${alive.length} snapshots named ${name}`);
      else if (String(alive[0]?.id) !== saga.context.snapshot_id) violations.push(`saga ${saga.id} recorded ${String(saga.context.snapshot_id)}, provider has ${alive[0]?.id}`);
    } else if (alive.length !== 0) {
      violations.push(`${saga.status} saga ${saga.id} left ${alive.length} snapshot(s) named ${name}`);
    }
    const runningActions = state.actions.filter((a) => a.snapshotName === name && a.status === 'in-progress');
    if (saga.status !== 'succeeded' && runningActions.length > 0) violations.push(`saga ${saga.id} left a snapshot action running`);
  }
  for (const snapshot of state.snapshots) {
    if (snapshot.deletedAt !== null && !parseSnapshotName(snapshot.name)) violations.push(`snapshot ${snapshot.id} ${snapshot.name} deleted, not arcadia's`);
  }
  for (const backup of state.backups) if (backup.deletedAt !== null) violations.push(`backup ${backup.id} was deleted`);
  return violations;
}

/** The simulator's seeded PRNG, so a failing random run can be replayed. */
export { mulberry32 as seededRandom } from '../../src/digitalocean/simulator/prng.js';
