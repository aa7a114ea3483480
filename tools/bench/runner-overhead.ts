import Database from 'better-sqlite3';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { ledgerPath, openLedgerDatabase } from '../../src/db/open.js';
import { SqliteSagaLedger } from '../../src/db/sqlite-ledger.js';
import { systemClock } from '../../src/engine/clock.js';
import { currentProcessIdentity } from '../../src/engine/process-identity.js';
import { lockFileLeases } from '../../src/engine/lock-file-leases.js';
import { SagaRunner } from '../../src/engine/runner.js';
import { StepRegistry } from '../../src/engine/step.js';
import { noopStep } from '../../src/sagas/test-steps.js';
import { met } from './process.js';
import type { BenchRow } from './types.js';

const STEPS_PER_SAGA = 10;

interface Burst {
  count: number;
  ms: number;
}

/** Bare better-sqlite3: one IMMEDIATE transaction per iteration (an update and an insert), WAL, synchronous=FULL. */
function bareTransactions(dir: string): { burst(ms: number): Burst; close(): void } {
  const db = new Database(join(dir, 'bare.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec(
    'CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT); CREATE TABLE e (id INTEGER PRIMARY KEY AUTOINCREMENT, v ' +
      "TEXT); INSERT INTO t VALUES (1, '')",
  );
  const update = db.prepare('UPDATE t SET v = ? WHERE id = 1');
  const insert = db.prepare('INSERT INTO e (v) VALUES (?)');
  const tx = db.transaction((i: number) => {
    update.run(String(i));
    insert.run(String(i));
  });
  let n = 0;
  return {
    burst(ms) {
      const start = performance.now();
      const first = n;
      while (performance.now() - start < ms) tx.immediate(n++);
      return { count: n - first, ms: performance.now() - start };
    },
    close: () => db.close(),
  };
}

/**
 * Runs `runOne` on prepared items for about `ms`, preparing another chunk whenever the supply runs out, with the
 * clock stopped while it prepares: however fast the disk, a burst never runs dry, and preparing is not measured.
 */
export async function timedBurst<T>(
  ms: number,
  supply: { next(): T | undefined; prepare(): Promise<void> | void },
  runOne: (item: T) => Promise<number>,
  now: () => number = () => performance.now(),
): Promise<Burst> {
  const start = now();
  let preparingMs = 0;
  let count = 0;
  while (now() - start - preparingMs < ms) {
    let item = supply.next();
    if (item === undefined) {
      const preparing = now();
      await supply.prepare();
      preparingMs += now() - preparing;
      item = supply.next();
      if (item === undefined) throw new Error('preparing the next chunk of the bench gave nothing to run');
    }
    count += await runOne(item);
  }
  // The last item may run past the burst: its own time counts, not the nominal burst.
  return { count, ms: now() - start - preparingMs };
}

/** Sagas are prepared this many at a time: a chunk takes a few milliseconds to create, off the clock. */
const SAGAS_PER_CHUNK = 200;

/** Whole ten-step no-op sagas through the real runner and ledger, lock and start/end included. */
async function runnerSteps(dir: string): Promise<{ burst(ms: number): Promise<Burst>; close(): Promise<void> }> {
  const home = join(dir, 'home');
  const ledger = new SqliteSagaLedger(openLedgerDatabase({ home, busyTimeoutMs: 5000 }), ledgerPath(home), 5000);
  const runner = new SagaRunner({
    ledger,
    registry: new StepRegistry().register(noopStep),
    clock: systemClock,
    staleMs: 30_000,
    leases: lockFileLeases(ledger, {
      locksDir: join(home, 'locks'),
      staleMs: 30_000,
      heartbeatMs: 10_000,
      clock: systemClock,
      identity: currentProcessIdentity(),
    }),
    heartbeatMs: 10_000,
    retry: { attempts: 1, baseMs: 1, maxMs: 1 },
    maxRecoveryAttempts: 5,
  });
  // Creating a saga is the CLI's work, not the runner's: sagas are created off the clock, a chunk at a time.
  const stepNames = Array.from({ length: STEPS_PER_SAGA }, () => 'noop');
  const ids: string[] = [];
  const supply = {
    next: () => ids.shift(),
    async prepare() {
      for (let i = 0; i < SAGAS_PER_CHUNK; i++) {
        const id = randomUUID();
        const saga = {
          id,
          kind: 'test',
          stepNames,
          inputs: {},
          triggeredBy: 'bench',
          deploymentId: null,
          batchId: null,
        };
        await ledger.createSaga(saga, Date.now());
        ids.push(id);
      }
    },
  };
  await supply.prepare();
  return {
    burst: (ms) =>
      timedBurst(ms, supply, async (id) => {
        await runner.run(id);
        return STEPS_PER_SAGA;
      }),
    close: () => ledger.close(),
  };
}

/** Durable no-op steps per second against bare transactions with the same durability, in the same run. */
export async function benchRunnerOverhead(rounds = 8, burstMs = 500): Promise<BenchRow[]> {
  const dir = mkdtempSync(join(tmpdir(), 'arcadia-bench-'));
  const bare = bareTransactions(dir);
  // A disk's fsync rate drifts by 10-20% within seconds: short alternating bursts let the drift hit both sides.
  const runner = await runnerSteps(dir);
  try {
    const total = { bare: { count: 0, ms: 0 }, runner: { count: 0, ms: 0 } };
    const ratios: number[] = [];
    for (let round = 0; round < rounds; round++) {
      const b = bare.burst(burstMs);
      const r = await runner.burst(burstMs);
      for (const [side, burst] of [
        ['bare', b],
        ['runner', r],
      ] as const) {
        total[side].count += burst.count;
        total[side].ms += burst.ms;
      }
      ratios.push(r.count / r.ms / (b.count / b.ms));
    }
    const stepsPerSecond = (total.runner.count / total.runner.ms) * 1000;
    const barePerSecond = (total.bare.count / total.bare.ms) * 1000;
    const ratio = stepsPerSecond / barePerSecond;
    return [
      {
        name: 'runner: durable no-op steps/s',
        value: Math.round(stepsPerSecond),
        unit: 'steps/s',
        baseline: Math.round(barePerSecond),
        ratio,
        note:
          `baseline: bare better-sqlite3 transactions/s (WAL, synchronous=FULL); target ratio >= ` +
          `0.5: ${met(ratio >= 0.5)}; ` +
          `${rounds} alternating ${burstMs} ms bursts ` +
          `(ratios ${Math.min(...ratios).toFixed(2)}-${Math.max(...ratios).toFixed(2)}); ` +
          `sagas of ${STEPS_PER_SAGA} steps, lock and saga start/end included`,
      },
    ];
  } finally {
    bare.close();
    await runner.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
