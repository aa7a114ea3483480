import type Database from 'better-sqlite3';
import { and, asc, desc, eq, inArray, isNull, notInArray, sql, type SQL } from 'drizzle-orm';
import { drizzle, type BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';
import type { SQLiteUpdateSetSource } from 'drizzle-orm/sqlite-core';
import { AmbiguousSagaIdError, LeaseLostError, SagaNotFoundError } from '../engine/errors.js';
import type { SagaLedger, SagaListFilter, SagaSummary, SagaTransition } from '../engine/ledger.js';
import {
  INPUTS_KEY,
  TERMINAL_SAGA_STATUSES,
  type NewSaga,
  type SagaContext,
  type SagaEvent,
  type SagaOwner,
  type SagaRecord,
  type SagaStatus,
  type StepRecord,
  type StepStatus,
} from '../engine/types.js';
import { translateSqliteError } from './open.js';
import * as schema from './schema.js';
import { sagaEvents, sagaRuns, sagaStepResults } from './schema.js';

type SagaRow = typeof sagaRuns.$inferSelect;
type StepRow = typeof sagaStepResults.$inferSelect;

function ownerOf(row: SagaRow): SagaOwner | null {
  if (row.ownerPid === null || row.ownerHost === null) return null;
  return { pid: row.ownerPid, host: row.ownerHost, processStartedAt: row.ownerStartedAt, acquiredAt: row.ownerAcquiredAt ?? row.updatedAt };
}

function toStep(row: StepRow): StepRecord {
  return {
    idx: row.idx,
    name: row.name,
    status: row.status as StepStatus,
    attempts: row.attempts,
    startedAt: row.startedAt,
    finishedAt: row.finishedAt,
    compensatedAt: row.compensatedAt,
    error: row.error,
  };
}

function toSummary(row: SagaRow): Omit<SagaRecord, 'steps' | 'context'> {
  return {
    id: row.id,
    kind: row.kind,
    status: row.status as SagaStatus,
    stepNames: JSON.parse(row.stepNames) as string[],
    triggeredBy: row.triggeredBy,
    deploymentId: row.deploymentId,
    batchId: row.batchId,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
    leaseEpoch: row.leaseEpoch,
    owner: ownerOf(row),
    recoveryAttempts: row.recoveryAttempts,
    cancelRequestedAt: row.cancelRequestedAt,
    error: row.error,
  };
}

/** The ledger on SQLite through Drizzle. Every change is one IMMEDIATE transaction guarded by the lease epoch. */
export class SqliteSagaLedger implements SagaLedger {
  private readonly db: BetterSQLite3Database<typeof schema>;

  constructor(
    private readonly sqlite: Database.Database,
    private readonly path: string,
    private readonly busyTimeoutMs: number,
  ) {
    this.db = drizzle(sqlite, { schema });
  }

  close(): void {
    this.sqlite.close();
  }

  /** Runs `work` in one IMMEDIATE transaction, turning driver errors into ledger errors. */
  private write<T>(work: () => T): T {
    try {
      return this.sqlite.transaction(work).immediate();
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
      this.db.insert(sagaEvents).values({ sagaId: saga.id, at, fromStatus: null, toStatus: 'pending', detail: 'created', epoch: 0 }).run();
    });
    const created = this.getSaga(saga.id);
    if (!created) throw new Error(`saga ${saga.id} was not stored`);
    return created;
  }

  getSaga(id: string): SagaRecord | undefined {
    return this.read(() => {
      const row = this.db.select().from(sagaRuns).where(eq(sagaRuns.id, id)).get();
      if (!row) return undefined;
      const steps = this.db.select().from(sagaStepResults).where(eq(sagaStepResults.sagaId, id)).orderBy(asc(sagaStepResults.idx)).all();
      return { ...toSummary(row), context: JSON.parse(row.context) as SagaContext, steps: steps.map(toStep) };
    });
  }

  resolveSagaId(ref: string): string {
    const prefix = ref.trim().toLowerCase();
    if (!/^[0-9a-f-]{1,36}$/.test(prefix)) throw new SagaNotFoundError(ref);
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
    if (rows.length > 1) throw new AmbiguousSagaIdError(ref, rows.map((r) => r.id));
    return rows[0]!.id;
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
        .map(({ row, currentStep: step }) => ({ ...toSummary(row), currentStep: step })),
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

  listUnfinishedSagaIds(filter?: { batchId?: string }): string[] {
    const conditions: SQL[] = [notInArray(sagaRuns.status, [...TERMINAL_SAGA_STATUSES])];
    if (filter?.batchId) conditions.push(eq(sagaRuns.batchId, filter.batchId));
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
    const row = this.read(() => this.db.select({ epoch: sagaRuns.leaseEpoch }).from(sagaRuns).where(eq(sagaRuns.id, sagaId)).get());
    if (!row) throw new SagaNotFoundError(sagaId);
    return row.epoch;
  }

  releaseLease(sagaId: string, epoch: number, at: number): void {
    this.write(() => {
      this.fence(sagaId, epoch, { updatedAt: at, ownerPid: null, ownerHost: null, ownerStartedAt: null, ownerAcquiredAt: null });
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

  apply(sagaId: string, epoch: number, transition: SagaTransition, at: number): void {
    this.write(() => {
      const { saga, step, event } = transition;
      const values: Partial<typeof sagaRuns.$inferInsert> = { updatedAt: at };
      if (saga?.status) values.status = saga.status;
      if (saga?.error !== undefined) values.error = saga.error;
      if (saga?.recoveryAttempts !== undefined) values.recoveryAttempts = saga.recoveryAttempts;
      if (saga?.contextPatch && Object.keys(saga.contextPatch).length > 0) {
        const row = this.db.select({ context: sagaRuns.context }).from(sagaRuns).where(eq(sagaRuns.id, sagaId)).get();
        const context = { ...(JSON.parse(row?.context ?? '{}') as SagaContext), ...saga.contextPatch };
        values.context = JSON.stringify(context);
      }
      this.fence(sagaId, epoch, values);

      let stepName: string | null = null;
      if (step) {
        const stepValues: SQLiteUpdateSetSource<typeof sagaStepResults> = {};
        if (step.status) stepValues.status = step.status;
        if (step.startedAt !== undefined) stepValues.startedAt = step.startedAt;
        if (step.finishedAt !== undefined) stepValues.finishedAt = step.finishedAt;
        if (step.compensatedAt !== undefined) stepValues.compensatedAt = step.compensatedAt;
        if (step.error !== undefined) stepValues.error = step.error;
        if (step.addAttempt) stepValues.attempts = sql`${sagaStepResults.attempts} + 1`;
        const where = and(eq(sagaStepResults.sagaId, sagaId), eq(sagaStepResults.idx, step.idx));
        if (Object.keys(stepValues).length > 0) this.db.update(sagaStepResults).set(stepValues).where(where).run();
        stepName = this.db.select({ name: sagaStepResults.name }).from(sagaStepResults).where(where).get()?.name ?? null;
      }
      this.db
        .insert(sagaEvents)
        .values({
          sagaId,
          at,
          stepIdx: step?.idx ?? null,
          stepName,
          fromStatus: event.from,
          toStatus: event.to,
          detail: event.detail ?? null,
          epoch,
        })
        .run();
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
    const row = this.read(() =>
      this.db.select({ at: sagaRuns.cancelRequestedAt }).from(sagaRuns).where(eq(sagaRuns.id, sagaId)).get(),
    );
    return row?.at !== null && row?.at !== undefined;
  }
}
