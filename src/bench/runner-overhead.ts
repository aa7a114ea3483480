import Database from 'better-sqlite3';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ledgerPath, openLedgerDatabase } from '../db/open.js';
import { SqliteSagaLedger } from '../db/sqlite-ledger.js';
import { systemClock } from '../engine/clock.js';
import { currentProcessIdentity } from '../engine/process-identity.js';
import { SagaRunner } from '../engine/runner.js';
import { StepRegistry } from '../engine/step.js';
import { noopStep } from '../sagas/test-steps.js';
import type { BenchRow } from './types.js';

const STEPS_PER_SAGA = 10;

/** Bare better-sqlite3: one IMMEDIATE transaction per iteration (an update and an insert), WAL, synchronous=FULL. */
function bareTransactionsPerSecond(dir: string, seconds: number): number {
  const db = new Database(join(dir, 'bare.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT); CREATE TABLE e (id INTEGER PRIMARY KEY AUTOINCREMENT, v TEXT); INSERT INTO t VALUES (1, \'\')');
  const update = db.prepare('UPDATE t SET v = ? WHERE id = 1');
  const insert = db.prepare('INSERT INTO e (v) VALUES (?)');
  const tx = db.transaction((i: number) => {
    update.run(String(i));
    insert.run(String(i));
  });
  let n = 0;
  const start = performance.now();
  while (performance.now() - start < seconds * 1000) tx.immediate(n++);
  const elapsed = (performance.now() - start) / 1000;
  db.close();
  return n / elapsed;
}

async function runnerStepsPerSecond(dir: string, seconds: number): Promise<number> {
  const home = join(dir, 'home');
  const ledger = new SqliteSagaLedger(openLedgerDatabase({ home, busyTimeoutMs: 5000 }), ledgerPath(home), 5000);
  const runner = new SagaRunner({
    ledger,
    registry: new StepRegistry().register(noopStep),
    clock: systemClock,
    lock: { locksDir: join(home, 'locks'), staleMs: 30_000, identity: currentProcessIdentity() },
    heartbeatMs: 10_000,
    retry: { attempts: 1, baseMs: 1, maxMs: 1 },
    maxRecoveryAttempts: 5,
  });
  // Sagas are created before the clock starts: creating one is the CLI's work, not the runner's.
  const stepNames = Array.from({ length: STEPS_PER_SAGA }, () => 'noop');
  const ids = Array.from({ length: Math.ceil((seconds * 2000) / STEPS_PER_SAGA) }, () => {
    const id = randomUUID();
    ledger.createSaga({ id, kind: 'test', stepNames, inputs: {}, triggeredBy: 'bench', deploymentId: null, batchId: null }, Date.now());
    return id;
  });
  let steps = 0;
  const start = performance.now();
  for (const id of ids) {
    if (performance.now() - start >= seconds * 1000) break;
    await runner.run(id);
    steps += STEPS_PER_SAGA;
  }
  const elapsed = (performance.now() - start) / 1000;
  ledger.close();
  return steps / elapsed;
}

/** Durable no-op steps per second against bare transactions with the same durability, in the same run. */
export async function benchRunnerOverhead(seconds = 3): Promise<BenchRow[]> {
  const dir = mkdtempSync(join(tmpdir(), 'arcadia-bench-'));
  try {
    const bare = bareTransactionsPerSecond(dir, seconds);
    const steps = await runnerStepsPerSecond(dir, seconds);
    return [
      {
        name: 'runner: durable no-op steps/s',
        value: Math.round(steps),
        unit: 'steps/s',
        baseline: Math.round(bare),
        ratio: steps / bare,
        note: `baseline: bare better-sqlite3 transactions/s (WAL, synchronous=FULL); target ratio >= 0.33; sagas of ${STEPS_PER_SAGA} steps, lock and saga start/end included`,
      },
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
