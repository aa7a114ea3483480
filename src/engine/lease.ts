import type { SagaOwner } from './types.js';

/**
 * A held lease on one saga: this executor is its one owner at `epoch` until it lets go or is taken over. The holder
 * calls `beat` every heartbeat interval and `release` when done. The epoch is what fences: every ledger write and
 * every remote request of the executor checks it against the ledger (ARCHITECTURE.md, "Promise 2: one owner").
 */
export interface SagaLease {
  readonly sagaId: string;
  readonly epoch: number;
  readonly owner: SagaOwner;
  /** Why a previous owner was taken over (for the event log), or null when nobody held the saga. */
  readonly takeoverReason: string | null;
  /** Refreshes the heartbeat; false when the lease is no longer this one's (taken over): the holder must stop. */
  beat(): Promise<boolean>;
  /** Lets go (idempotent); never removes a successor's lease. */
  release(): Promise<void>;
}

/** A batch process's claim on the sagas it created but has not started yet; heart-beaten by its implementation. */
export interface BatchHold {
  release(): Promise<void>;
}

/**
 * Who owns which saga, and how ownership is taken, renewed and given up. Chosen where the app is built: lock files
 * beside a SQLite ledger (`lockFileLeases`), or records in a shared database. An implementation may consult the
 * ledger within `acquire` (the epoch's compare-and-set is the ledger's `claimLease`), and refuses with SagaOwnedError
 * carrying the live owner.
 */
export interface SagaLeases {
  /**
   * Takes the saga's lease: free, or taken over from an owner that is provably gone or whose heartbeat is stale (the
   * reason is the lease's `takeoverReason`). Exactly one of several concurrent callers wins; the others get
   * SagaOwnedError naming the winner.
   */
  acquire(sagaId: string): Promise<SagaLease>;
  /** The executor holding the saga right now, or undefined when nobody alive and fresh does. */
  liveOwner(sagaId: string): Promise<SagaOwner | undefined>;
  /** Marks a batch's not-yet-started sagas as in good hands until `release`, renewing the mark every heartbeat. */
  holdBatch(batchId: string): Promise<BatchHold>;
  /** The live process holding the batch (its pending sagas are then not orphans), or undefined. */
  batchHolder(batchId: string): Promise<SagaOwner | undefined>;
}
