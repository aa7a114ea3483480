import type Database from 'better-sqlite3';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { ledgerPath, openLedgerDatabase } from '../../src/db/open.js';
import { SqliteLedgerCore } from '../../src/db/sqlite-ledger-core.js';
import { SqliteSagaLedger } from '../../src/db/sqlite-ledger.js';
import type { NewSaga, SagaEvent, SagaRecord } from '../../src/engine/types.js';

export interface TestLedger {
  /** The ledger as the app and the engine use it (asynchronous). */
  ledger: SqliteSagaLedger;
  /** The same ledger's synchronous SQLite core, for set-up and assertions (SqliteSagaLedger's contracts). */
  core: SqliteLedgerCore;
  /** The raw connection, for setting up states the engine would only reach through a crash. */
  db: Database.Database;
  path: string;
  close(): void;
}

/** Opens (creating and migrating) the ledger of a home exactly as the CLI does. Close it before comparing bytes. */
export function openTestLedger(home: string, options: { busyTimeoutMs?: number } = {}): TestLedger {
  const busyTimeoutMs = options.busyTimeoutMs ?? 5_000;
  const path = ledgerPath(home);
  const db = openLedgerDatabase({ home, busyTimeoutMs });
  const ledger = new SqliteSagaLedger(db, path, busyTimeoutMs);
  let open = true;
  return {
    ledger,
    core: new SqliteLedgerCore(db, path, busyTimeoutMs),
    db,
    path,
    close: () => {
      if (open) db.close();
      open = false;
    },
  };
}

/**
 * Runs `work` on a freshly opened ledger and closes it, so a running CLI child sees no lingering connection. Set-up
 * and reads use `core`, the synchronous SQLite ledger, so they stay plain code where a test stands.
 */
export function withLedger<T>(home: string, work: (t: TestLedger) => T): T {
  const t = openTestLedger(home);
  try {
    return work(t);
  } finally {
    t.close();
  }
}

function withCore<T>(home: string, work: (core: SqliteLedgerCore) => T): T {
  return withLedger(home, ({ core }) => work(core));
}

/** Every saga of a home, newest first, with steps and context. */
export function readAllSagas(home: string): SagaRecord[] {
  return withCore(home, (ledger) =>
    ledger
      .listSagas({ limit: 100_000 })
      .map((s) => ledger.getSaga(s.id))
      .filter((s): s is SagaRecord => s !== undefined),
  );
}

export function readSaga(home: string, id: string): SagaRecord {
  const saga = withCore(home, (ledger) => ledger.getSaga(id));
  if (!saga) throw new Error(`saga ${id} is not in the ledger of ${home}`);
  return saga;
}

export function readEvents(home: string, id: string): SagaEvent[] {
  return withCore(home, (ledger) => ledger.listEvents(id));
}

let counter = 0;

/** A NewSaga with sensible defaults; ids are random UUIDs unless given. */
export function newSaga(overrides: Partial<NewSaga> & { stepNames: string[] }): NewSaga {
  counter++;
  return {
    id: overrides.id ?? crypto.randomUUID(),
    kind: overrides.kind ?? 'test',
    stepNames: overrides.stepNames,
    inputs: overrides.inputs ?? {},
    triggeredBy: overrides.triggeredBy ?? `test-${counter}`,
    deploymentId: overrides.deploymentId ?? null,
    batchId: overrides.batchId ?? null,
  };
}

/**
 * The files of a home and their bytes (the ledger without -wal/-shm, which come and go with connections),
 * to prove a command left everything untouched.
 */
export function homeSnapshot(home: string): Record<string, string> {
  const files: Record<string, string> = {};
  if (!existsSync(home)) return files;
  for (const entry of readdirSync(home, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = `${entry.parentPath}/${entry.name}`;
    if (path.endsWith('-wal') || path.endsWith('-shm')) continue;
    files[path.slice(home.length)] = readFileSync(path).toString('base64');
  }
  return files;
}
