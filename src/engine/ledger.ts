import type { NewSaga, SagaContext, SagaEvent, SagaOwner, SagaRecord, SagaStatus, StepStatus } from './types.js';

/** One state change: saga and step fields, context merge and the event row, written in one transaction. */
export interface SagaTransition {
  saga?: {
    status?: SagaStatus;
    contextPatch?: SagaContext;
    error?: string | null;
    recoveryAttempts?: number;
    /** Clears the recorded owner: the executor lets go in the same transaction as the saga's last change. */
    releaseOwner?: boolean;
  };
  step?: {
    idx: number;
    status?: StepStatus;
    addAttempt?: boolean;
    startedAt?: number;
    finishedAt?: number | null;
    compensatedAt?: number;
    error?: string | null;
  };
  event: { from: string | null; to: string; detail?: string };
}

export interface SagaListFilter {
  status?: SagaStatus[];
  kind?: string;
  deploymentId?: string;
  batchId?: string;
  limit?: number;
}

/** A saga row without its steps and context: what `saga list` needs. */
export type SagaSummary = Omit<SagaRecord, 'steps' | 'context'> & {
  currentStep: string | null;
  /** Set when the row cannot be decoded (invalid JSON, an unknown status): what is wrong with it. */
  unreadable?: string;
};

/**
 * The engine's view of durable storage. The SQLite implementation lives in src/db; the engine never sees SQL.
 * Every method that changes a saga an executor drives takes that executor's lease epoch and fails with
 * LeaseLostError if another executor has taken the saga over since (fencing).
 */
export interface SagaLedger {
  createSaga(saga: NewSaga, at: number): SagaRecord;
  getSaga(id: string): SagaRecord | undefined;
  /** A full id or a unique prefix of one; throws SagaNotFoundError or AmbiguousSagaIdError. */
  resolveSagaId(ref: string): string;
  listSagas(filter: SagaListFilter): SagaSummary[];
  listEvents(sagaId: string): SagaEvent[];
  /** Ids of sagas not yet in a terminal status, oldest first. */
  listUnfinishedSagaIds(filter?: { kind?: string }): string[];
  /** Compare-and-set of the lease epoch: succeeds only if the current epoch is one of `expectedEpochs`. */
  claimLease(sagaId: string, expectedEpochs: number[], newEpoch: number, owner: SagaOwner): boolean;
  currentEpoch(sagaId: string): number;
  /** Clears the recorded owner when an executor lets go. Fenced. */
  releaseLease(sagaId: string, epoch: number, at: number): void;
  /** Writes the transitions in one transaction (a step's result and the next step's intent share one fsync). */
  apply(sagaId: string, epoch: number, transitions: SagaTransition | SagaTransition[], at: number): void;
  /** Any process may ask for a cancel; the owner notices it between steps and during waits. */
  requestCancel(sagaId: string, at: number): void;
  isCancelRequested(sagaId: string): boolean;
}
