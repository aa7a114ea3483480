import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PgSagaLedger } from '../../src/db/pg-ledger.js';
import type { SagaEvent, SagaRecord } from '../../src/engine/types.js';
import { startSimulator, type RunningSimulator, type SimulatorConfigInput } from '../../src/simulator/index.js';
import { checkInvariants, isViolation } from '../../tools/chaos/invariants.js';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres.js';
import { fastEnv } from './harness.js';

/** One bastion: its own ARCADIA_HOME and ARCADIA_HOST_ID, the shared database, the shared simulator. */
export interface Host {
  id: string;
  home: string;
  env: NodeJS.ProcessEnv;
}

/** A saga of the shared ledger with its history, as the chaos checker takes it. */
export type LedgerSaga = SagaRecord & { events: SagaEvent[] };

export interface TwoHosts {
  sim: RunningSimulator;
  database: TestDatabase;
  a: Host;
  b: Host;
  /** Every saga of the shared ledger with its events, read through a connection of the test's own. */
  sagas(): Promise<LedgerSaga[]>;
  /** The promises of ARCHITECTURE.md over the shared ledger and the simulator's whole history. */
  violations(): Promise<string[]>;
  cleanup(): Promise<void>;
}

/** Two hosts on one PostgreSQL ledger (a fresh database of the test server) and one simulator. */
export async function twoHosts(config: SimulatorConfigInput, extraEnv: NodeJS.ProcessEnv = {}): Promise<TwoHosts> {
  const sim = await startSimulator(config);
  const database = await createTestDatabase();
  const homes: string[] = [];
  const host = (id: string): Host => {
    const home = mkdtempSync(join(tmpdir(), `arcadia-${id}-`));
    homes.push(home);
    const env: NodeJS.ProcessEnv = {
      ...fastEnv(home, sim),
      ARCADIA_HOST_ID: id,
      ARCADIA_DATABASE_URL: database.url,
      ...extraEnv,
    };
    return { id, home, env };
  };
  const sagas = async (): Promise<LedgerSaga[]> => {
    const ledger = await PgSagaLedger.open(database.target(), { poolSize: 2 });
    try {
      const records: LedgerSaga[] = [];
      for (const summary of await ledger.listSagas({ limit: 100_000 })) {
        const saga: SagaRecord | undefined = await ledger.getSaga(summary.id);
        if (saga) records.push({ ...saga, events: await ledger.listEvents(saga.id) });
      }
      return records;
    } finally {
      await ledger.close();
    }
  };
  return {
    sim,
    database,
    a: host('bastion-a'),
    b: host('bastion-b'),
    sagas,
    violations: async () =>
      checkInvariants(await sagas(), sim.state())
        .filter((v) => isViolation(v, {}))
        .map((v) => v.message),
    cleanup: async () => {
      await sim.close();
      for (const home of homes) rmSync(home, { recursive: true, force: true });
      await database.drop();
    },
  };
}

/** Live snapshots arcadia made, per droplet: exactly one each is the promise across hosts. */
export function arcadiaSnapshotsByDroplet(sim: RunningSimulator): Map<number, string[]> {
  const byDroplet = new Map<number, string[]>();
  for (const s of sim.state().snapshots) {
    if (s.deletedAt !== null || !s.name.startsWith('arcadia-snap-')) continue;
    byDroplet.set(s.dropletId, [...(byDroplet.get(s.dropletId) ?? []), s.name]);
  }
  return byDroplet;
}

/** One line of `snapshot --json`. */
export interface SnapshotEntry {
  dropletId: number;
  sagaId: string | null;
  status: string;
  snapshotId: string | null;
  error: string | null;
}
