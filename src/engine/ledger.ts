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
 * Every method is asynchronous, so a backend behind a network connection (PostgreSQL) implements it 1:1; the SQLite
 * one answers at once. Each method is atomic on its own: it is one transaction, or one read of committed state.
 * Every method that changes a saga an executor drives takes that executor's lease epoch and fails with
 * LeaseLostError if another executor has taken the saga over since (fencing): the epoch check and the write share
 * the transaction, so no write of a superseded executor ever lands. Errors of the storage itself (busy, full,
 * unreachable) are the backend's typed errors, which the engine treats as halting.
 */
export interface SagaLedger {
  /** Inserts the saga `pending` at epoch 0 with its steps `pending` and a `created` event, in one transaction. */
  createSaga(saga: NewSaga, at: number): Promise<SagaRecord>;
  /** The saga with its steps (by index) and context; LedgerRowError when its row cannot be decoded. */
  getSaga(id: string): Promise<SagaRecord | undefined>;
  /** A full id or a unique prefix of one; throws SagaNotFoundError or AmbiguousSagaIdError. */
  resolveSagaId(ref: string): Promise<string>;
  /** Newest first (created time, then id); undecodable rows are flagged `unreadable`, never dropped. */
  listSagas(filter: SagaListFilter): Promise<SagaSummary[]>;
  /** The saga's history in the order it was written. */
  listEvents(sagaId: string): Promise<SagaEvent[]>;
  /** Ids of sagas not yet in a terminal status, oldest first. */
  listUnfinishedSagaIds(filter?: { kind?: string }): Promise<string[]>;
  /**
   * Compare-and-set of the lease epoch and the owner columns in one transaction: true only if the current epoch
   * was one of `expectedEpochs`, so of several claimants that saw the same epoch exactly one wins.
   */
  claimLease(sagaId: string, expectedEpochs: number[], newEpoch: number, owner: SagaOwner): Promise<boolean>;
  /** The committed lease epoch; SagaNotFoundError for an unknown saga. */
  currentEpoch(sagaId: string): Promise<number>;
  /** Clears the recorded owner when an executor lets go. Fenced. */
  releaseLease(sagaId: string, epoch: number, at: number): Promise<void>;
  /**
   * Writes the transitions, in order, in one transaction, fenced by `epoch` (a step's result and the next step's
   * intent share one commit). When it resolves the transitions are durable; when it rejects none was written.
   */
  apply(sagaId: string, epoch: number, transitions: SagaTransition | SagaTransition[], at: number): Promise<void>;
  /** Any process may ask for a cancel (unfenced, first request wins); the owner notices it between steps and waits. */
  requestCancel(sagaId: string, at: number): Promise<void>;
  isCancelRequested(sagaId: string): Promise<boolean>;
}
