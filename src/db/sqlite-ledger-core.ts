import type Database from 'better-sqlite3';
import { and, asc, desc, eq, inArray, isNull, sql, type SQL } from 'drizzle-orm';
import { drizzle, type BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';
import { AmbiguousSagaIdError, LeaseLostError, SagaNotFoundError } from '../engine/errors.js';
import type { SagaListFilter, SagaSummary, SagaTransition } from '../engine/ledger.js';
import {
  INPUTS_KEY,
  SAGA_STATUSES,
  TERMINAL_SAGA_STATUSES,
  type NewSaga,
  type SagaContext,
  type SagaEvent,
  type SagaOwner,
  type SagaRecord,
} from '../engine/types.js';
import { LedgerRowError } from './errors.js';
import { translateSqliteError } from './open.js';
import { decodeContext } from './row-decoding.js';
import { SAGA_ID_PREFIX, stepProblem, toStep, toSummary } from './saga-rows.js';
import { snapshotDurations } from './snapshot-history.js';
import { monitoringFacts, type MonitoringFacts } from './monitoring-facts.js';
import * as schema from './schema.js';
import { sagaEvents, sagaRuns, sagaStepResults } from './schema.js';

const p = (name: string) => sql.placeholder(name);

/** Each statement is prepared on its first use: `saga list` needs two of them, and start-up time is its cost. */
function lazily<T extends Record<string, () => unknown>>(factories: T): { readonly [K in keyof T]: ReturnType<T[K]> } {
  const made = new Map<keyof T, unknown>();
  const statements = {} as { [K in keyof T]: ReturnType<T[K]> };
  for (const key of Object.keys(factories) as (keyof T)[]) {
    Object.defineProperty(statements, key, {
      get: () => {
        if (!made.has(key)) made.set(key, factories[key]?.());
        return made.get(key);
      },
    });
  }
  return statements;
}

/**
 * The statements a running saga executes on every transition, prepared once: building a Drizzle query per call
 * costs more than the fsync it guards. Optional fields are NULL (or a 0 flag) to mean "leave unchanged".
 */
function prepareStatements(db: BetterSQLite3Database<typeof schema>) {
  return lazily({
    sagaRow: () =>
      db
        .select()
        .from(sagaRuns)
        .where(eq(sagaRuns.id, p('id')))
        .prepare(),
    stepRows: () =>
      db
        .select()
        .from(sagaStepResults)
        .where(eq(sagaStepResults.sagaId, p('id')))
        .orderBy(asc(sagaStepResults.idx))
        .prepare(),
    context: () =>
      db
        .select({ context: sagaRuns.context })
        .from(sagaRuns)
        .where(eq(sagaRuns.id, p('id')))
        .prepare(),
    epoch: () =>
      db
        .select({ epoch: sagaRuns.leaseEpoch })
        .from(sagaRuns)
        .where(eq(sagaRuns.id, p('id')))
        .prepare(),
    cancelRequestedAt: () =>
      db
        .select({ at: sagaRuns.cancelRequestedAt })
        .from(sagaRuns)
        .where(eq(sagaRuns.id, p('id')))
        .prepare(),
    // The fencing check and the saga row's update in one statement: no write of a superseded executor lands.
    updateSaga: () =>
      db
        .update(sagaRuns)
        .set({
          updatedAt: sql`${p('at')}`,
          status: sql`coalesce(${p('status')}, ${sagaRuns.status})`,
          error: sql`CASE WHEN ${p('setError')} THEN ${p('error')} ELSE ${sagaRuns.error} END`,
          recoveryAttempts: sql`coalesce(${p('recoveryAttempts')}, ${sagaRuns.recoveryAttempts})`,
          context: sql`coalesce(${p('context')}, ${sagaRuns.context})`,
          ownerPid: sql`CASE WHEN ${p('releaseOwner')} THEN NULL ELSE ${sagaRuns.ownerPid} END`,
          ownerHost: sql`CASE WHEN ${p('releaseOwner')} THEN NULL ELSE ${sagaRuns.ownerHost} END`,
          ownerStartedAt: sql`CASE WHEN ${p('releaseOwner')} THEN NULL ELSE ${sagaRuns.ownerStartedAt} END`,
          ownerAcquiredAt: sql`CASE WHEN ${p('releaseOwner')} THEN NULL ELSE ${sagaRuns.ownerAcquiredAt} END`,
        })
        .where(and(eq(sagaRuns.id, p('id')), eq(sagaRuns.leaseEpoch, p('epoch'))))
        .prepare(),
    updateStep: () =>
      db
        .update(sagaStepResults)
        .set({
          status: sql`coalesce(${p('status')}, ${sagaStepResults.status})`,
          attempts: sql`${sagaStepResults.attempts} + ${p('addAttempt')}`,
          startedAt: sql`coalesce(${p('startedAt')}, ${sagaStepResults.startedAt})`,
          finishedAt: sql`CASE WHEN ${p('setFinishedAt')} THEN ${p('finishedAt')}
            ELSE ${sagaStepResults.finishedAt} END`,
          compensatedAt: sql`coalesce(${p('compensatedAt')}, ${sagaStepResults.compensatedAt})`,
          error: sql`CASE WHEN ${p('setError')} THEN ${p('error')} ELSE ${sagaStepResults.error} END`,
        })
        .where(and(eq(sagaStepResults.sagaId, p('sagaId')), eq(sagaStepResults.idx, p('idx'))))
        .prepare(),
    insertEvent: () =>
      db
        .insert(sagaEvents)
        .values({
          sagaId: sql`${p('sagaId')}`,
          at: sql`${p('at')}`,
          stepIdx: sql`${p('stepIdx')}`,
          stepName: sql`(SELECT ${sagaStepResults.name} FROM ${sagaStepResults}
            WHERE ${sagaStepResults.sagaId} = ${p('sagaId')} AND ${sagaStepResults.idx} = ${p('stepIdx')})`,
          fromStatus: sql`${p('from')}`,
          toStatus: sql`${p('to')}`,
          detail: sql`${p('detail')}`,
          epoch: sql`${p('epoch')}`,
        })
        .prepare(),
  });
}

/**
 * The ledger on SQLite through Drizzle, synchronous as better-sqlite3 is: SqliteSagaLedger (sqlite-ledger.ts) puts
 * the asynchronous interface in front of it. Every change is one IMMEDIATE transaction guarded by the lease epoch;
 * the method contracts are SagaLedger's and ArcadiaLedger's.
 */
export class SqliteLedgerCore {
  private readonly db: BetterSQLite3Database<typeof schema>;

  private readonly statements: ReturnType<typeof prepareStatements>;
  /** Made once: wrapping each write in a new better-sqlite3 transaction function costs more than the write. */
  private readonly transaction: Database.Transaction<(work: () => unknown) => unknown>;

  constructor(
    private readonly sqlite: Database.Database,
    private readonly path: string,
    private readonly busyTimeoutMs: number,
  ) {
    this.db = drizzle(sqlite, { schema });
    this.statements = prepareStatements(this.db);
    this.transaction = sqlite.transaction((work: () => unknown) => work());
  }

  close(): void {
    this.sqlite.close();
  }

  /**
   * Durations of the droplet's last snapshots, else of similar-sized droplets', newest first (see snapshot-history.ts).
   */
  snapshotDurations(dropletId: number, diskGigabytes?: number): number[] {
    return this.read(() => snapshotDurations(this.sqlite, dropletId, diskGigabytes));
  }

  /** Succeeded snapshots, deletions and the last reconcile's leaks, for the metrics file and `arcadia check`. */
  monitoringFacts(): MonitoringFacts {
    return this.read(() => monitoringFacts(this.sqlite));
  }

  /** What a `reconcile` found, so the metrics file can report the last reconcile's leaks. */
  recordReconcileReport(at: number, scope: string, leakedSnapshotIds: string[]): void {
    this.write(() =>
      this.db
        .insert(schema.reconcileReports)
        .values({ at, scope, leakedSnapshotIds: JSON.stringify(leakedSnapshotIds) })
        .run(),
    );
  }

  /** Runs `work` in one IMMEDIATE transaction, turning driver errors into ledger errors. */
  private write<T>(work: () => T): T {
    try {
      return this.transaction.immediate(work) as T;
    } catch (error) {
      throw translateSqliteError(error, this.path, this.busyTimeoutMs);
    }
  }

  private read<T>(work: () => T): T {
    try {
      return work();
    } catch (error) {
      throw translateSqliteError(error, this.path, this.busyTimeoutMs);
    }
  }

  /** Opens the IMMEDIATE transaction of an exclusive section: the ledger's write lock, held until `endExclusive`. */
  beginExclusive(): void {
    this.read(() => this.sqlite.exec('BEGIN IMMEDIATE'));
  }

  /** Commits the exclusive section's work, or rolls it back. Writes inside it were savepoints of it. */
  endExclusive(commit: boolean): void {
    if (!this.sqlite.inTransaction) return;
    if (commit) this.read(() => this.sqlite.exec('COMMIT'));
    else this.sqlite.exec('ROLLBACK');
  }

  createSaga(saga: NewSaga, at: number): SagaRecord {
    this.write(() => {
      this.db
        .insert(sagaRuns)
        .values({
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
        })
        .run();
      if (saga.stepNames.length > 0) {
        this.db
          .insert(sagaStepResults)
          .values(saga.stepNames.map((name, idx) => ({ sagaId: saga.id, idx, name, status: 'pending' })))
          .run();
      }
      this.db
        .insert(sagaEvents)
        .values({ sagaId: saga.id, at, fromStatus: null, toStatus: 'pending', detail: 'created', epoch: 0 })
        .run();
    });
    const created = this.getSaga(saga.id);
    if (!created) throw new Error(`saga ${saga.id} was not stored`);
    return created;
  }

  getSaga(id: string): SagaRecord | undefined {
    return this.read(() => {
      const row = this.statements.sagaRow.get({ id });
      if (!row) return undefined;
      const steps = this.statements.stepRows.all({ id });
      const { summary, problem } = toSummary(row);
      if (problem !== null) throw new LedgerRowError(this.path, id, problem);
      const context = decodeContext(row.context);
      if (!context.ok) throw new LedgerRowError(this.path, id, context.problem);
      const badStep = stepProblem(steps);
      if (badStep !== null) throw new LedgerRowError(this.path, id, badStep);
      return { ...summary, context: context.value, steps: steps.map(toStep) };
    });
  }

  resolveSagaId(ref: string): string {
    const prefix = ref.trim().toLowerCase();
    if (!SAGA_ID_PREFIX.test(prefix)) throw new SagaNotFoundError(ref);
    // GLOB is case-sensitive, so SQLite can answer a prefix from the primary-key index.
    const rows = this.read(() =>
      this.db
        .select({ id: sagaRuns.id })
        .from(sagaRuns)
        .where(sql`${sagaRuns.id} GLOB ${prefix + '*'}`)
        .limit(4)
        .all(),
    );
    const exact = rows.find((r) => r.id === prefix);
    if (exact) return exact.id;
    if (rows.length === 0) throw new SagaNotFoundError(ref);
    if (rows.length > 1)
      throw new AmbiguousSagaIdError(
        ref,
        rows.map((r) => r.id),
      );
    return rows[0]!.id;
  }

  /** Sagas whose id starts with `prefix` (snapshot names carry 8 hex of their saga's id). */
  findSagasByIdPrefix(prefix: string): SagaRecord[] {
    if (!SAGA_ID_PREFIX.test(prefix)) return [];
    const rows = this.read(() =>
      this.db
        .select({ id: sagaRuns.id })
        .from(sagaRuns)
        .where(sql`${sagaRuns.id} GLOB ${prefix + '*'}`)
        .limit(20)
        .all(),
    );
    return rows.map((r) => this.getSaga(r.id)).filter((s): s is SagaRecord => s !== undefined);
  }

  listSagas(filter: SagaListFilter): SagaSummary[] {
    const conditions: SQL[] = [];
    if (filter.status?.length) conditions.push(inArray(sagaRuns.status, filter.status));
    if (filter.kind) conditions.push(eq(sagaRuns.kind, filter.kind));
    if (filter.deploymentId) conditions.push(eq(sagaRuns.deploymentId, filter.deploymentId));
    if (filter.batchId) conditions.push(eq(sagaRuns.batchId, filter.batchId));
    const currentStep = sql<string | null>`(SELECT ${sagaStepResults.name} FROM ${sagaStepResults}
      WHERE ${sagaStepResults.sagaId} = ${sagaRuns.id} AND ${sagaStepResults.status} IN ('running', 'compensating')
      ORDER BY ${sagaStepResults.idx} DESC LIMIT 1)`;
    return this.read(() =>
      this.db
        .select({ row: sagaRuns, currentStep })
        .from(sagaRuns)
        .where(conditions.length ? and(...conditions) : undefined)
        .orderBy(desc(sagaRuns.createdAt), desc(sagaRuns.id))
        .limit(filter.limit ?? 20)
        .all()
        .map(({ row, currentStep: step }) => {
          const { summary, problem } = toSummary(row);
          const context = decodeContext(row.context);
          const unreadable = problem ?? (context.ok ? null : context.problem);
          return { ...summary, currentStep: step, ...(unreadable !== null ? { unreadable } : {}) };
        }),
    );
  }

  listEvents(sagaId: string): SagaEvent[] {
    return this.read(() =>
      this.db
        .select()
        .from(sagaEvents)
        .where(eq(sagaEvents.sagaId, sagaId))
        .orderBy(asc(sagaEvents.id))
        .all()
        .map((e) => ({
          id: e.id,
          sagaId: e.sagaId,
          at: e.at,
          stepIdx: e.stepIdx,
          stepName: e.stepName,
          from: e.fromStatus,
          to: e.toStatus,
          detail: e.detail,
          epoch: e.epoch,
        })),
    );
  }

  listUnfinishedSagaIds(filter?: { kind?: string }): string[] {
    // IN, not NOT IN: the status index finds the few unfinished sagas among a hundred thousand finished ones.
    const unfinished = SAGA_STATUSES.filter((status) => !TERMINAL_SAGA_STATUSES.includes(status));
    const conditions: SQL[] = [inArray(sagaRuns.status, unfinished)];
    if (filter?.kind) conditions.push(eq(sagaRuns.kind, filter.kind));
    return this.read(() =>
      this.db
        .select({ id: sagaRuns.id })
        .from(sagaRuns)
        .where(and(...conditions))
        .orderBy(asc(sagaRuns.createdAt))
        .all()
        .map((r) => r.id),
    );
  }

  claimLease(sagaId: string, expectedEpochs: number[], newEpoch: number, owner: SagaOwner): boolean {
    return this.write(() => {
      const result = this.db
        .update(sagaRuns)
        .set({
          leaseEpoch: newEpoch,
          ownerPid: owner.pid,
          ownerHost: owner.host,
          ownerStartedAt: owner.processStartedAt,
          ownerAcquiredAt: owner.acquiredAt,
        })
        .where(and(eq(sagaRuns.id, sagaId), inArray(sagaRuns.leaseEpoch, expectedEpochs)))
        .run();
      return result.changes === 1;
    });
  }

  currentEpoch(sagaId: string): number {
    const row = this.read(() => this.statements.epoch.get({ id: sagaId }));
    if (!row) throw new SagaNotFoundError(sagaId);
    return row.epoch;
  }

  releaseLease(sagaId: string, epoch: number, at: number): void {
    this.write(() => {
      this.fence(sagaId, epoch, {
        updatedAt: at,
        ownerPid: null,
        ownerHost: null,
        ownerStartedAt: null,
        ownerAcquiredAt: null,
      });
    });
  }

  /** The fencing check and the saga row's update in one statement: no write of a superseded executor lands. */
  private fence(sagaId: string, epoch: number, values: Partial<typeof sagaRuns.$inferInsert>): void {
    const result = this.db
      .update(sagaRuns)
      .set(values)
      .where(and(eq(sagaRuns.id, sagaId), eq(sagaRuns.leaseEpoch, epoch)))
      .run();
    if (result.changes !== 1) throw new LeaseLostError(sagaId, epoch);
  }

  apply(sagaId: string, epoch: number, transitions: SagaTransition | SagaTransition[], at: number): void {
    this.write(() => {
      for (const transition of Array.isArray(transitions) ? transitions : [transitions])
        this.applyOne(sagaId, epoch, transition, at);
    });
  }

  private applyOne(sagaId: string, epoch: number, transition: SagaTransition, at: number): void {
    const { saga, step, event } = transition;
    let context: string | null = null;
    if (saga?.contextPatch && Object.keys(saga.contextPatch).length > 0) {
      const row = this.statements.context.get({ id: sagaId });
      context = JSON.stringify({ ...(JSON.parse(row?.context ?? '{}') as SagaContext), ...saga.contextPatch });
    }
    const changesSaga =
      saga !== undefined &&
      (saga.status !== undefined ||
        saga.error !== undefined ||
        saga.recoveryAttempts !== undefined ||
        context !== null ||
        saga.releaseOwner === true);
    // Inside the IMMEDIATE transaction nobody else can move the epoch, so a read fences as well as an update does;
    // step-only transitions then leave the saga row (and its page) alone.
    const fenced = changesSaga
      ? this.statements.updateSaga.run({
          id: sagaId,
          epoch,
          at,
          status: saga.status ?? null,
          setError: saga.error !== undefined ? 1 : 0,
          error: saga.error ?? null,
          recoveryAttempts: saga.recoveryAttempts ?? null,
          context,
          releaseOwner: saga.releaseOwner ? 1 : 0,
        }).changes === 1
      : this.statements.epoch.get({ id: sagaId })?.epoch === epoch;
    if (!fenced) throw new LeaseLostError(sagaId, epoch);
    if (step) {
      this.statements.updateStep.run({
        sagaId,
        idx: step.idx,
        status: step.status ?? null,
        addAttempt: step.addAttempt ? 1 : 0,
        startedAt: step.startedAt ?? null,
        setFinishedAt: step.finishedAt !== undefined ? 1 : 0,
        finishedAt: step.finishedAt ?? null,
        compensatedAt: step.compensatedAt ?? null,
        setError: step.error !== undefined ? 1 : 0,
        error: step.error ?? null,
      });
    }
    this.statements.insertEvent.run({
      sagaId,
      at,
      stepIdx: step?.idx ?? null,
      from: event.from,
      to: event.to,
      detail: event.detail ?? null,
      epoch,
    });
  }

  requestCancel(sagaId: string, at: number): void {
    this.write(() => {
      this.db
        .update(sagaRuns)
        .set({ cancelRequestedAt: at })
        .where(and(eq(sagaRuns.id, sagaId), isNull(sagaRuns.cancelRequestedAt)))
        .run();
    });
  }

  isCancelRequested(sagaId: string): boolean {
    const row = this.read(() => this.statements.cancelRequestedAt.get({ id: sagaId }));
    return row?.at !== null && row?.at !== undefined;
  }
}
