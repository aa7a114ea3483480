import { and, asc, desc, eq, inArray, isNull, sql, type SQL } from 'drizzle-orm';
import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import type pg from 'pg';
import { AmbiguousSagaIdError, LeaseLostError, SagaNotFoundError } from '../engine/errors.js';
import type { SagaLedger, SagaListFilter, SagaSummary, SagaTransition } from '../engine/ledger.js';
import {
  INPUTS_KEY,
  SAGA_STATUSES,
  TERMINAL_SAGA_STATUSES,
  type NewSaga,
  type SagaEvent,
  type SagaOwner,
  type SagaRecord,
} from '../engine/types.js';
import type { PostgresTarget } from './database-url.js';
import { LedgerRowError } from './errors.js';
import type { ArcadiaLedger } from './ledger.js';
import type { MonitoringFacts } from './monitoring-facts.js';
import { pgMonitoringFacts, pgSnapshotDurations } from './pg-facts.js';
import { translatePostgresError } from './pg-errors.js';
import { createPool, migratePostgres } from './pg-open.js';
import * as schema from './pg-schema.js';
import { reconcileReports, sagaEvents, sagaRuns, sagaStepResults } from './pg-schema.js';
import { decodeContext } from './row-decoding.js';
import { SAGA_ID_PREFIX, stepProblem, toStep, toSummary } from './saga-rows.js';

export type PgLedgerDatabase = NodePgDatabase<typeof schema>;
/** What a transaction's work gets: the same query builder, bound to the transaction's connection. */
export type PgLedgerTransaction = Parameters<Parameters<PgLedgerDatabase['transaction']>[0]>[0];
export type PgTransactionConfig = Parameters<PgLedgerDatabase['transaction']>[1];
/** Where a ledger's statements go: the pool, or the transaction of an exclusive section. */
type PgQueries = PgLedgerDatabase | PgLedgerTransaction;

/** pg_advisory_lock key of `exclusive`: check-then-create sections of all hosts serialize on it. */
const EXCLUSIVE_LOCK = 0x61726361_0002n;

/** Saga ids compare byte by byte, as SQLite's do, whatever the database's collation (an id need not be a UUID). */
const byteOrder = (column: typeof sagaRuns.id) => sql`${column} COLLATE "C"`;

/**
 * The ledger on PostgreSQL through Drizzle, for several hosts sharing one fleet. The same semantics as
 * SqliteSagaLedger: every change is one transaction; fenced writes lock the saga row (UPDATE, or SELECT ... FOR
 * UPDATE for step-only transitions), so a takeover (claimLease, a compare-and-set UPDATE of the same row) is
 * ordered entirely before or after them. `transaction`, `db` and `pool` are open to code built on top
 * (database-held leases, batch planning across hosts).
 */
export class PgSagaLedger implements ArcadiaLedger {
  /** The pool's query builder: for statements outside any transaction of this ledger. */
  readonly db: PgLedgerDatabase;
  /** Where this instance's statements go: `db`, or the transaction of the exclusive section it was made for. */
  private readonly queries: PgQueries;

  private constructor(
    readonly pool: pg.Pool,
    readonly target: PostgresTarget,
    /** Migrations applied: the schema version `ledger info` shows. */
    readonly schemaVersion: number,
    within?: PgLedgerTransaction,
  ) {
    this.db = drizzle(pool, { schema });
    this.queries = within ?? this.db;
  }

  /** Connects, refuses a newer schema and applies pending migrations (under an advisory lock). */
  static async open(target: PostgresTarget, options: { poolSize?: number } = {}): Promise<PgSagaLedger> {
    const pool = createPool(target, options.poolSize !== undefined ? { max: options.poolSize } : {});
    try {
      const version = await migratePostgres(pool, target);
      return new PgSagaLedger(pool, target, version);
    } catch (error) {
      await pool.end().catch(() => undefined);
      throw error;
    }
  }

  /** Where the ledger is, without secrets: `host:port/dbname`. */
  get location(): string {
    return this.target.location;
  }

  async close(): Promise<void> {
    // pg's end() waits until every checked-out client is given back. A client whose connection died mid-query
    // (the database stopped, the network cut) may never be, and its end() then never settles: with nothing else
    // left to run, Node would quit with exit 13 instead of the command's own exit 4 naming the database. So the
    // wait is bounded by the connect timeout; the dead sockets are gone anyway.
    let timer: NodeJS.Timeout | undefined;
    const bound = new Promise<void>((resolve) => (timer = setTimeout(resolve, this.target.connectTimeoutMs)));
    try {
      await Promise.race([this.pool.end(), bound]);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Runs `work` in one transaction (READ COMMITTED unless `config` says otherwise), translating driver errors
   * into ledger errors. Inside an exclusive section it is a savepoint of the section's transaction.
   */
  async transaction<T>(work: (tx: PgLedgerTransaction) => Promise<T>, config?: PgTransactionConfig): Promise<T> {
    try {
      return this.queries === this.db
        ? await this.onOwnClient((db) => db.transaction(work, config))
        : await (this.queries as PgLedgerTransaction).transaction(work);
    } catch (error) {
      throw translatePostgresError(error, this.target);
    }
  }

  /**
   * Runs `work` on a client checked out here and always given back, destroyed after a failure. drizzle's own
   * pool transactions leak the client when BEGIN fails (a connection lost mid-saga), and `close` would then wait
   * for it forever: the process hung instead of exiting 4.
   */
  private async onOwnClient<T>(work: (db: PgLedgerDatabase) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    let failure: unknown;
    try {
      return await work(drizzle(client, { schema }) as unknown as PgLedgerDatabase);
    } catch (error) {
      failure = error;
      throw error;
    } finally {
      client.release(failure instanceof Error ? failure : undefined);
    }
  }

  private async read<T>(work: (db: PgQueries) => Promise<T>): Promise<T> {
    try {
      return await work(this.queries);
    } catch (error) {
      throw translatePostgresError(error, this.target);
    }
  }

  /**
   * Runs `work` in one transaction holding a database-wide advisory lock: the check-then-create sections of every
   * host serialize (SQLite's write lock does this on one host). `work` gets a ledger bound to that transaction. The
   * lock is the transaction's, so a lost connection frees it. Other calls on this ledger need not wait: they use
   * other connections, and PostgreSQL's row locks order them.
   */
  async exclusive<T>(work: (ledger: SagaLedger) => Promise<T>): Promise<T> {
    return this.transaction(async (tx) => {
      await tx.execute(sql`SELECT pg_advisory_xact_lock(${EXCLUSIVE_LOCK.toString()}::bigint)`);
      return work(new PgSagaLedger(this.pool, this.target, this.schemaVersion, tx));
    });
  }

  async snapshotDurations(dropletId: number, diskGigabytes?: number): Promise<number[]> {
    return this.read((db) => pgSnapshotDurations(db, dropletId, diskGigabytes));
  }

  async monitoringFacts(): Promise<MonitoringFacts> {
    return this.read((db) => pgMonitoringFacts(db));
  }

  async recordReconcileReport(at: number, scope: string, leakedSnapshotIds: string[]): Promise<void> {
    await this.read((db) =>
      db.insert(reconcileReports).values({ at, scope, leakedSnapshotIds: JSON.stringify(leakedSnapshotIds) }),
    );
  }

  async createSaga(saga: NewSaga, at: number): Promise<SagaRecord> {
    await this.transaction(async (tx) => {
      await tx.insert(sagaRuns).values({
        id: saga.id,
        kind: saga.kind,
        status: 'pending',
        stepNames: JSON.stringify(saga.stepNames),
        context: JSON.stringify({ [INPUTS_KEY]: saga.inputs }),
        triggeredBy: saga.triggeredBy,
        deploymentId: saga.deploymentId,
        batchId: saga.batchId,
        createdAt: at,
        updatedAt: at,
      });
      if (saga.stepNames.length > 0) {
        await tx
          .insert(sagaStepResults)
          .values(saga.stepNames.map((name, idx) => ({ sagaId: saga.id, idx, name, status: 'pending' })));
      }
      await tx
        .insert(sagaEvents)
        .values({ sagaId: saga.id, at, fromStatus: null, toStatus: 'pending', detail: 'created', epoch: 0 });
    });
    const created = await this.getSaga(saga.id);
    if (!created) throw new Error(`saga ${saga.id} was not stored`);
    return created;
  }

  async getSaga(id: string): Promise<SagaRecord | undefined> {
    const [row, steps] = await this.read((db) =>
      Promise.all([
        db.select().from(sagaRuns).where(eq(sagaRuns.id, id)),
        db.select().from(sagaStepResults).where(eq(sagaStepResults.sagaId, id)).orderBy(asc(sagaStepResults.idx)),
      ]),
    );
    const [saga] = row;
    if (!saga) return undefined;
    const { summary, problem } = toSummary(saga);
    if (problem !== null) throw new LedgerRowError(this.location, id, problem);
    const context = decodeContext(saga.context);
    if (!context.ok) throw new LedgerRowError(this.location, id, context.problem);
    const badStep = stepProblem(steps);
    if (badStep !== null) throw new LedgerRowError(this.location, id, badStep);
    return { ...summary, context: context.value, steps: steps.map(toStep) };
  }

  private async idsWithPrefix(prefix: string, limit: number): Promise<string[]> {
    // The prefix holds only hex digits and dashes (checked), so LIKE sees no pattern character in it.
    const rows = await this.read((db) =>
      db
        .select({ id: sagaRuns.id })
        .from(sagaRuns)
        .where(sql`${sagaRuns.id} LIKE ${prefix + '%'}`)
        .orderBy(byteOrder(sagaRuns.id))
        .limit(limit),
    );
    return rows.map((r) => r.id);
  }

  async resolveSagaId(ref: string): Promise<string> {
    const prefix = ref.trim().toLowerCase();
    if (!SAGA_ID_PREFIX.test(prefix)) throw new SagaNotFoundError(ref);
    const ids = await this.idsWithPrefix(prefix, 4);
    const exact = ids.find((id) => id === prefix);
    if (exact) return exact;
    if (ids.length === 0) throw new SagaNotFoundError(ref);
    if (ids.length > 1) throw new AmbiguousSagaIdError(ref, ids);
    return ids[0]!;
  }

  async findSagasByIdPrefix(prefix: string): Promise<SagaRecord[]> {
    if (!SAGA_ID_PREFIX.test(prefix)) return [];
    const ids = await this.idsWithPrefix(prefix, 20);
    const sagas = await Promise.all(ids.map((id) => this.getSaga(id)));
    return sagas.filter((s): s is SagaRecord => s !== undefined);
  }

  async listSagas(filter: SagaListFilter): Promise<SagaSummary[]> {
    const conditions: SQL[] = [];
    if (filter.status?.length) conditions.push(inArray(sagaRuns.status, filter.status));
    if (filter.kind) conditions.push(eq(sagaRuns.kind, filter.kind));
    if (filter.deploymentId) conditions.push(eq(sagaRuns.deploymentId, filter.deploymentId));
    if (filter.batchId) conditions.push(eq(sagaRuns.batchId, filter.batchId));
    const currentStep = sql<string | null>`(SELECT ${sagaStepResults.name} FROM ${sagaStepResults}
      WHERE ${sagaStepResults.sagaId} = ${sagaRuns.id} AND ${sagaStepResults.status} IN ('running', 'compensating')
      ORDER BY ${sagaStepResults.idx} DESC LIMIT 1)`;
    const rows = await this.read((db) =>
      db
        .select({ row: sagaRuns, currentStep })
        .from(sagaRuns)
        .where(conditions.length ? and(...conditions) : undefined)
        .orderBy(desc(sagaRuns.createdAt), desc(byteOrder(sagaRuns.id)))
        .limit(filter.limit ?? 20),
    );
    return rows.map(({ row, currentStep: step }) => {
      const { summary, problem } = toSummary(row);
      const context = decodeContext(row.context);
      const unreadable = problem ?? (context.ok ? null : context.problem);
      return { ...summary, currentStep: step, ...(unreadable !== null ? { unreadable } : {}) };
    });
  }

  async listEvents(sagaId: string): Promise<SagaEvent[]> {
    const rows = await this.read((db) =>
      db.select().from(sagaEvents).where(eq(sagaEvents.sagaId, sagaId)).orderBy(asc(sagaEvents.id)),
    );
    return rows.map((e) => ({
      id: e.id,
      sagaId: e.sagaId,
      at: e.at,
      stepIdx: e.stepIdx,
      stepName: e.stepName,
      from: e.fromStatus,
      to: e.toStatus,
      detail: e.detail,
      epoch: e.epoch,
    }));
  }

  async listUnfinishedSagaIds(filter?: { kind?: string }): Promise<string[]> {
    const unfinished = SAGA_STATUSES.filter((status) => !TERMINAL_SAGA_STATUSES.includes(status));
    const conditions: SQL[] = [inArray(sagaRuns.status, unfinished)];
    if (filter?.kind) conditions.push(eq(sagaRuns.kind, filter.kind));
    const rows = await this.read((db) =>
      db
        .select({ id: sagaRuns.id })
        .from(sagaRuns)
        .where(and(...conditions))
        .orderBy(asc(sagaRuns.createdAt), byteOrder(sagaRuns.id)),
    );
    return rows.map((r) => r.id);
  }

  /** One UPDATE: the row lock makes the compare and the set atomic against every other writer of the saga. */
  async claimLease(sagaId: string, expectedEpochs: number[], newEpoch: number, owner: SagaOwner): Promise<boolean> {
    const updated = await this.read((db) =>
      db
        .update(sagaRuns)
        .set({
          leaseEpoch: newEpoch,
          ownerPid: owner.pid,
          ownerHost: owner.host,
          ownerStartedAt: owner.processStartedAt,
          ownerAcquiredAt: owner.acquiredAt,
        })
        .where(and(eq(sagaRuns.id, sagaId), inArray(sagaRuns.leaseEpoch, expectedEpochs)))
        .returning({ id: sagaRuns.id }),
    );
    return updated.length === 1;
  }

  async currentEpoch(sagaId: string): Promise<number> {
    const [row] = await this.read((db) =>
      db.select({ epoch: sagaRuns.leaseEpoch }).from(sagaRuns).where(eq(sagaRuns.id, sagaId)),
    );
    if (!row) throw new SagaNotFoundError(sagaId);
    return row.epoch;
  }

  async releaseLease(sagaId: string, epoch: number, at: number): Promise<void> {
    const released = await this.read((db) =>
      db
        .update(sagaRuns)
        .set({ updatedAt: at, ownerPid: null, ownerHost: null, ownerStartedAt: null, ownerAcquiredAt: null })
        .where(and(eq(sagaRuns.id, sagaId), eq(sagaRuns.leaseEpoch, epoch)))
        .returning({ id: sagaRuns.id }),
    );
    if (released.length !== 1) throw new LeaseLostError(sagaId, epoch);
  }

  async apply(sagaId: string, epoch: number, transitions: SagaTransition | SagaTransition[], at: number) {
    await this.transaction(async (tx) => {
      for (const transition of Array.isArray(transitions) ? transitions : [transitions]) {
        await applyOne(tx, sagaId, epoch, transition, at);
      }
    });
  }

  async requestCancel(sagaId: string, at: number): Promise<void> {
    await this.read((db) =>
      db
        .update(sagaRuns)
        .set({ cancelRequestedAt: at })
        .where(and(eq(sagaRuns.id, sagaId), isNull(sagaRuns.cancelRequestedAt))),
    );
  }

  async isCancelRequested(sagaId: string): Promise<boolean> {
    const [row] = await this.read((db) =>
      db.select({ at: sagaRuns.cancelRequestedAt }).from(sagaRuns).where(eq(sagaRuns.id, sagaId)),
    );
    return row?.at !== null && row?.at !== undefined;
  }
}

/** One transition inside apply's transaction; throws LeaseLostError (rolling everything back) when fenced out. */
async function applyOne(
  tx: PgLedgerTransaction,
  sagaId: string,
  epoch: number,
  transition: SagaTransition,
  at: number,
): Promise<void> {
  const { saga, step, event } = transition;
  const patch =
    saga?.contextPatch && Object.keys(saga.contextPatch).length > 0 ? JSON.stringify(saga.contextPatch) : null;
  const changesSaga =
    saga !== undefined &&
    (saga.status !== undefined ||
      saga.error !== undefined ||
      saga.recoveryAttempts !== undefined ||
      patch !== null ||
      saga.releaseOwner === true);
  let fenced: boolean;
  if (changesSaga) {
    const release = saga.releaseOwner === true;
    const updated = await tx
      .update(sagaRuns)
      .set({
        updatedAt: at,
        ...(saga.status !== undefined ? { status: saga.status } : {}),
        ...(saga.error !== undefined ? { error: saga.error } : {}),
        ...(saga.recoveryAttempts !== undefined ? { recoveryAttempts: saga.recoveryAttempts } : {}),
        // jsonb's || is the same shallow merge as SQLite's {...context, ...patch}, without reading the row first.
        ...(patch !== null ? { context: sql`${sagaRuns.context} || ${patch}::jsonb` } : {}),
        ...(release ? { ownerPid: null, ownerHost: null, ownerStartedAt: null, ownerAcquiredAt: null } : {}),
      })
      .where(and(eq(sagaRuns.id, sagaId), eq(sagaRuns.leaseEpoch, epoch)))
      .returning({ id: sagaRuns.id });
    fenced = updated.length === 1;
  } else {
    // Locks the row until commit, so a takeover cannot slip between this check and the step's write.
    const [row] = await tx
      .select({ epoch: sagaRuns.leaseEpoch })
      .from(sagaRuns)
      .where(eq(sagaRuns.id, sagaId))
      .for('update');
    fenced = row?.epoch === epoch;
  }
  if (!fenced) throw new LeaseLostError(sagaId, epoch);
  if (step) {
    await tx
      .update(sagaStepResults)
      .set({
        ...(step.status !== undefined ? { status: step.status } : {}),
        ...(step.addAttempt ? { attempts: sql`${sagaStepResults.attempts} + 1` } : {}),
        ...(step.startedAt !== undefined ? { startedAt: step.startedAt } : {}),
        ...(step.finishedAt !== undefined ? { finishedAt: step.finishedAt } : {}),
        ...(step.compensatedAt !== undefined ? { compensatedAt: step.compensatedAt } : {}),
        ...(step.error !== undefined ? { error: step.error } : {}),
        // An UPDATE needs one assignment; this one changes nothing.
        idx: sql`${sagaStepResults.idx}`,
      })
      .where(and(eq(sagaStepResults.sagaId, sagaId), eq(sagaStepResults.idx, step.idx)));
  }
  await tx.insert(sagaEvents).values({
    sagaId,
    at,
    stepIdx: step?.idx ?? null,
    stepName: step
      ? sql`(SELECT ${sagaStepResults.name} FROM ${sagaStepResults}
          WHERE ${sagaStepResults.sagaId} = ${sagaId} AND ${sagaStepResults.idx} = ${step.idx})`
      : null,
    fromStatus: event.from,
    toStatus: event.to,
    detail: event.detail ?? null,
    epoch,
  });
}
