import { eq, sql } from 'drizzle-orm';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { onTestFinished } from 'vitest';
import { PgSagaLedger } from '../../src/db/pg-ledger.js';
import { PG_MIGRATIONS_TABLE } from '../../src/db/pg-open.js';
import { sagaRuns } from '../../src/db/pg-schema.js';
import { lockPath, type SagaLockRecord } from '../../src/engine/lock.js';
import type { ArcadiaLedger } from '../../src/db/ledger.js';
import type { Json, SagaEvent, SagaRecord } from '../../src/engine/types.js';
import { cleanupAfterTest, type TestFinisher } from './cleanup.js';
import { openTestLedger } from './ledger.js';
import { createTestDatabase, fileDatabase, type TestDatabase } from './postgres.js';
import { tempHome } from './temp-home.js';

/** Either backend's ledger, by the interface the app holds it by. */
export type AnyLedger = ArcadiaLedger;

/** What a ledger holds for one saga: its row (status, owner, epoch, cancel request, ...), its steps, its events. */
export interface SagaHoldings {
  saga: SagaRecord | undefined;
  events: SagaEvent[];
}

/** Read through the ledger's interface, so "the command left this saga as it was" reads alike on both backends. */
export async function sagaHoldings(ledger: AnyLedger, id: string): Promise<SagaHoldings> {
  return { saga: await ledger.getSaga(id), events: await ledger.listEvents(id) };
}

/**
 * The bytes of a home's SQLite ledger file and its WAL (where a test's open connection leaves what it seeded, and
 * where any write of a command would land); not the shared-memory index, into which every reader writes its marks.
 */
export function sqliteLedgerBytes(home: string): Record<string, string> {
  const files: Record<string, string> = {};
  for (const name of ['arcadia.db', 'arcadia.db-wal']) {
    const path = join(home, name);
    if (existsSync(path)) files[name] = readFileSync(path).toString('base64');
  }
  return files;
}

/** Every saga's holdings, oldest first: "the command changed nothing in the ledger". */
export async function ledgerHoldings(ledger: AnyLedger): Promise<SagaHoldings[]> {
  const sagas = await ledger.listSagas({ limit: 10_000 });
  return Promise.all(sagas.reverse().map((s) => sagaHoldings(ledger, s.id)));
}

/**
 * A ledger of one backend, fresh for one test, with what tests need to reach states the engine only reaches
 * through crashes or damage (written behind the ledger's back, in each dialect's SQL).
 */
export interface BackendLedger {
  ledger: AnyLedger;
  /** Another connection to the same storage: a second process or host. Closed when the test ends. */
  reopen(): Promise<AnyLedger>;
  setSaga(id: string, fields: { status?: string; updatedAt?: number }): Promise<void>;
  setStepStatus(id: string, idx: number, status: string): Promise<void>;
  /** Merges `patch` into the saga's context (shallow, as the runner's outputs are). */
  mergeContext(id: string, patch: Record<string, Json>): Promise<void>;
  close(): Promise<void>;
}

export interface LedgerBackend {
  name: 'sqlite' | 'postgres';
  open(): Promise<BackendLedger>;
}

function sqliteBackend(): LedgerBackend {
  return {
    name: 'sqlite',
    open: () => {
      const { home } = tempHome();
      const t = openTestLedger(home);
      const others: { close(): void }[] = [];
      const close = () => {
        t.close();
        for (const other of others) other.close();
        return Promise.resolve();
      };
      onTestFinished(close);
      return Promise.resolve({
        ledger: t.ledger,
        reopen: () => {
          const other = openTestLedger(home);
          others.push(other);
          return Promise.resolve(other.ledger);
        },
        setSaga: (id, fields) => {
          if (fields.status !== undefined)
            t.db.prepare('UPDATE saga_runs SET status = ? WHERE id = ?').run(fields.status, id);
          if (fields.updatedAt !== undefined)
            t.db.prepare('UPDATE saga_runs SET updated_at = ? WHERE id = ?').run(fields.updatedAt, id);
          return Promise.resolve();
        },
        setStepStatus: (id, idx, status) => {
          t.db.prepare('UPDATE saga_step_results SET status = ? WHERE saga_id = ? AND idx = ?').run(status, id, idx);
          return Promise.resolve();
        },
        mergeContext: (id, patch) => {
          t.db
            .prepare('UPDATE saga_runs SET context = json_patch(context, ?) WHERE id = ?')
            .run(JSON.stringify(patch), id);
          return Promise.resolve();
        },
        close,
      });
    },
  };
}

const TABLES = 'saga_events, saga_step_results, saga_runs, reconcile_reports, batch_holds';

function postgresBackend(database: () => Promise<TestDatabase>): LedgerBackend {
  return {
    name: 'postgres',
    open: async () => {
      const target = (await database()).target();
      const ledger = await PgSagaLedger.open(target, { poolSize: 4 });
      // One database per file; each test starts from empty tables (the file's tests run one at a time).
      await ledger.db.execute(sql.raw(`TRUNCATE ${TABLES} RESTART IDENTITY`));
      const others: PgSagaLedger[] = [];
      const close = async () => {
        for (const l of [ledger, ...others.splice(0)]) if (!l.pool.ended) await l.close();
      };
      onTestFinished(close);
      return {
        ledger,
        reopen: async () => {
          const other = await PgSagaLedger.open(target, { poolSize: 4 });
          others.push(other);
          return other;
        },
        setSaga: async (id, fields) => {
          if (fields.status !== undefined)
            await ledger.db.execute(sql`UPDATE saga_runs SET status = ${fields.status} WHERE id = ${id}`);
          if (fields.updatedAt !== undefined)
            await ledger.db.execute(sql`UPDATE saga_runs SET updated_at = ${fields.updatedAt} WHERE id = ${id}`);
        },
        setStepStatus: async (id, idx, status) => {
          await ledger.db.execute(
            sql`UPDATE saga_step_results SET status = ${status} WHERE saga_id = ${id} AND idx = ${idx}`,
          );
        },
        mergeContext: async (id, patch) => {
          await ledger.db.execute(
            sql`UPDATE saga_runs SET context = context || ${JSON.stringify(patch)}::jsonb WHERE id = ${id}`,
          );
        },
        close,
      };
    },
  };
}

/**
 * Both backends, for `describe.each(ledgerBackends())('%s', ...)`. Call it at the top of a test file: the
 * PostgreSQL backend makes the file's database on first use and drops it after the file's last test.
 */
export function ledgerBackends(): LedgerBackend[] {
  return [sqliteBackend(), postgresBackend(fileDatabase())];
}

/**
 * A saga's owner as the CLI's leases read it: its lock file on SQLite (whose record this is, less the saga id), its
 * row's owner columns on PostgreSQL.
 */
export type PlantedOwner = Omit<SagaLockRecord, 'sagaId'>;

/**
 * A home for the built CLI on one backend, fresh for one test: `env` selects the ledger (ARCADIA_DATABASE_URL at a
 * database of its own for PostgreSQL, none for SQLite, whose ledger is the home's file), and `ledger()` reads and
 * seeds that same ledger from the test through the interface the app uses. The rest reaches, behind the ledger's
 * back and in each dialect's own terms, states the CLI only reaches through crashes.
 */
export interface CliBackendHome {
  backend: LedgerBackend['name'];
  /** Not created yet: the CLI (or the first `ledger()` on SQLite) creates it. */
  home: string;
  env: NodeJS.ProcessEnv;
  ledger(): Promise<AnyLedger>;
  setSagaStatus(id: string, status: string): Promise<void>;
  /** Renames one step row, leaving the saga's recorded step list as it was (a ledger damaged or hand-edited). */
  setStepName(id: string, idx: number, name: string): Promise<void>;
  /** Records one migration more than this arcadia knows, as a newer arcadia that migrated the ledger would. */
  recordNewerMigration(): Promise<void>;
  /**
   * Makes `owner` the holder of the saga's lease, as if it had taken it: the ledger's owner columns and epoch, and
   * on SQLite the lock file (which is the lease there); on PostgreSQL the row is the lease, heartbeat included.
   */
  plantOwner(sagaId: string, owner: PlantedOwner): Promise<void>;
  /** The saga's lease as the CLI's leases see it now (lock file, or row), undefined when nobody holds it. */
  lease(sagaId: string): Promise<PlantedOwner | undefined>;
  /** Now by the clock leases are stamped and judged by: this machine's for lock files, the database's for rows. */
  leaseClock(): Promise<number>;
}

export interface CliBackend {
  name: LedgerBackend['name'];
  /** Pass the test context in concurrent tests (the home, database and connections end with that test). */
  open(test?: TestFinisher): Promise<CliBackendHome>;
}

function sqliteCliBackend(): CliBackend {
  return {
    name: 'sqlite',
    open: (test) => {
      const home = join(tempHome({ test }).home, 'home');
      const locks = join(home, 'locks');
      let opened: ReturnType<typeof openTestLedger> | undefined;
      cleanupAfterTest(() => opened?.close(), test);
      const open = () => (opened ??= openTestLedger(home));
      return Promise.resolve({
        backend: 'sqlite',
        home,
        env: {},
        ledger: () => Promise.resolve(open().ledger),
        setSagaStatus: (id, status) => {
          open().db.prepare('UPDATE saga_runs SET status = ? WHERE id = ?').run(status, id);
          return Promise.resolve();
        },
        setStepName: (id, idx, name) => {
          open().db.prepare('UPDATE saga_step_results SET name = ? WHERE saga_id = ? AND idx = ?').run(name, id, idx);
          return Promise.resolve();
        },
        recordNewerMigration: () => {
          open().db.prepare(`INSERT INTO __drizzle_migrations (hash, created_at) VALUES ('newer', 0)`).run();
          return Promise.resolve();
        },
        plantOwner: (sagaId, owner) => {
          const { db } = open();
          db.prepare(
            `UPDATE saga_runs SET lease_epoch = ?, owner_pid = ?, owner_host = ?, owner_started_at = ?,
               owner_acquired_at = ? WHERE id = ?`,
          ).run(owner.epoch, owner.pid, owner.host, owner.processStartedAt, owner.acquiredAt, sagaId);
          mkdirSync(locks, { recursive: true, mode: 0o700 });
          const record: SagaLockRecord = { sagaId, ...owner };
          writeFileSync(lockPath(locks, sagaId), JSON.stringify(record), { mode: 0o600 });
          return Promise.resolve();
        },
        lease: (sagaId) => {
          const path = lockPath(locks, sagaId);
          if (!existsSync(path)) return Promise.resolve(undefined);
          const { pid, host, processStartedAt, acquiredAt, heartbeatAt, epoch } = JSON.parse(
            readFileSync(path, 'utf8'),
          ) as SagaLockRecord;
          return Promise.resolve({ pid, host, processStartedAt, acquiredAt, heartbeatAt, epoch });
        },
        leaseClock: () => Promise.resolve(Date.now()),
      });
    },
  };
}

function postgresCliBackend(): CliBackend {
  return {
    name: 'postgres',
    open: async (test) => {
      const home = join(tempHome({ test }).home, 'home');
      const database = await createTestDatabase({ test });
      let opened: Promise<PgSagaLedger> | undefined;
      // In whichever order it meets the database's drop (WITH FORCE cuts this pool's connections), it ends.
      cleanupAfterTest(async () => {
        if (opened) await (await opened).close();
      }, test);
      const ledger = () => (opened ??= PgSagaLedger.open(database.target(), { poolSize: 4 }));
      return {
        backend: 'postgres',
        home,
        env: { ARCADIA_DATABASE_URL: database.url },
        ledger,
        setSagaStatus: async (id, status) => {
          const { db } = await ledger();
          await db.execute(sql`UPDATE saga_runs SET status = ${status} WHERE id = ${id}`);
        },
        setStepName: async (id, idx, name) => {
          const { db } = await ledger();
          await db.execute(sql`UPDATE saga_step_results SET name = ${name} WHERE saga_id = ${id} AND idx = ${idx}`);
        },
        recordNewerMigration: async () => {
          const { db } = await ledger();
          await db.execute(sql.raw(`INSERT INTO public.${PG_MIGRATIONS_TABLE} (hash, created_at) VALUES ('newer', 0)`));
        },
        plantOwner: async (sagaId, owner) => {
          const { db } = await ledger();
          await db
            .update(sagaRuns)
            .set({
              leaseEpoch: owner.epoch,
              ownerPid: owner.pid,
              ownerHost: owner.host,
              ownerStartedAt: owner.processStartedAt,
              ownerAcquiredAt: owner.acquiredAt,
              ownerHeartbeatAt: owner.heartbeatAt,
            })
            .where(eq(sagaRuns.id, sagaId));
        },
        lease: async (sagaId) => {
          const { db } = await ledger();
          const [row] = await db
            .select({
              pid: sagaRuns.ownerPid,
              host: sagaRuns.ownerHost,
              processStartedAt: sagaRuns.ownerStartedAt,
              acquiredAt: sagaRuns.ownerAcquiredAt,
              heartbeatAt: sagaRuns.ownerHeartbeatAt,
              epoch: sagaRuns.leaseEpoch,
            })
            .from(sagaRuns)
            .where(eq(sagaRuns.id, sagaId));
          if (!row || row.pid === null || row.host === null) return undefined;
          // As DatabaseLeases reads a row: a lease claimed without a beat yet is as old as its acquisition.
          const acquiredAt = row.acquiredAt ?? 0;
          return { ...row, pid: row.pid, host: row.host, acquiredAt, heartbeatAt: row.heartbeatAt ?? acquiredAt };
        },
        leaseClock: async () => {
          const { db } = await ledger();
          // float8: the driver hands bigint over as text.
          const result = await db.execute<{ now: number }>(
            sql`SELECT floor(extract(epoch from clock_timestamp()) * 1000)::float8 AS now`,
          );
          return result.rows[0]!.now;
        },
      };
    },
  };
}

/** Both backends for the CLI's suites: `describe.each(cliBackends())('$name', (backend) => ...)`. */
export function cliBackends(): CliBackend[] {
  return [sqliteCliBackend(), postgresCliBackend()];
}
