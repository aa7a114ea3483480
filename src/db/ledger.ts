import type { SagaLedger } from '../engine/ledger.js';
import type { SagaRecord } from '../engine/types.js';
import type { MonitoringFacts } from './monitoring-facts.js';

/**
 * The ledger as the app uses it: the engine's SagaLedger plus what commands and monitoring read and record. Backend
 * neutral (no SQL, no driver types), so each backend (SQLite today, PostgreSQL next) implements it 1:1; the app
 * holds a ledger only by this interface. Like SagaLedger, every method is atomic on its own.
 */
export interface ArcadiaLedger extends SagaLedger {
  /**
   * Durations (ms) of the droplet's last successful snapshots, else of similar-sized droplets' (within a factor of
   * two of `diskGigabytes`), newest first; what the snapshot step expects its wait to take.
   */
  snapshotDurations(dropletId: number, diskGigabytes?: number): Promise<number[]>;
  /** Succeeded snapshots, deletions and the last reconcile's leaks, for the metrics file and `arcadia check`. */
  monitoringFacts(): Promise<MonitoringFacts>;
  /** What a `reconcile` found (one row, one transaction), so the metrics report the last reconcile's leaks. */
  recordReconcileReport(at: number, scope: string, leakedSnapshotIds: string[]): Promise<void>;
  /** Sagas whose id starts with `prefix` (snapshot names carry 8 hex of their saga's id), at most 20. */
  findSagasByIdPrefix(prefix: string): Promise<SagaRecord[]>;
  /**
   * Runs `work` in one transaction holding the ledger's planning lock: the check-then-create sections of
   * concurrent processes (and hosts, on a shared database) serialize, so two overlapping runs never both create a
   * saga for one droplet. `work` must use the `ledger` it is given (the transaction's), never this one; other calls
   * on this ledger from the same process wait until the section ends. Committed when `work` resolves, rolled back
   * when it rejects.
   */
  exclusive<T>(work: (ledger: SagaLedger) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}
