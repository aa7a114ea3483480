import type Database from 'better-sqlite3';
import type { SagaLedger, SagaListFilter, SagaTransition } from '../engine/ledger.js';
import type { NewSaga, SagaOwner } from '../engine/types.js';
import type { ArcadiaLedger } from './ledger.js';
import { SqliteLedgerCore } from './sqlite-ledger-core.js';

/**
 * The SagaLedger methods over the synchronous core. Outside an exclusive section the core does the work at once, in
 * the call itself, and the promise only carries its result; inside one, calls from outside wait for its end.
 */
function sagaLedgerOver(core: SqliteLedgerCore, gate: () => Promise<void> | undefined): SagaLedger {
  const call = async <T>(work: () => T): Promise<T> => {
    const wait = gate();
    if (wait) await wait;
    return work();
  };
  return {
    createSaga: (saga: NewSaga, at: number) => call(() => core.createSaga(saga, at)),
    getSaga: (id: string) => call(() => core.getSaga(id)),
    resolveSagaId: (ref: string) => call(() => core.resolveSagaId(ref)),
    listSagas: (filter: SagaListFilter) => call(() => core.listSagas(filter)),
    listEvents: (sagaId: string) => call(() => core.listEvents(sagaId)),
    listUnfinishedSagaIds: (filter?: { kind?: string }) => call(() => core.listUnfinishedSagaIds(filter)),
    claimLease: (sagaId: string, expected: number[], newEpoch: number, owner: SagaOwner) =>
      call(() => core.claimLease(sagaId, expected, newEpoch, owner)),
    currentEpoch: (sagaId: string) => call(() => core.currentEpoch(sagaId)),
    releaseLease: (sagaId: string, epoch: number, at: number) => call(() => core.releaseLease(sagaId, epoch, at)),
    apply: (sagaId: string, epoch: number, transitions: SagaTransition | SagaTransition[], at: number) =>
      call(() => core.apply(sagaId, epoch, transitions, at)),
    requestCancel: (sagaId: string, at: number) => call(() => core.requestCancel(sagaId, at)),
    isCancelRequested: (sagaId: string) => call(() => core.isCancelRequested(sagaId)),
  };
}

/**
 * The ledger on SQLite behind the asynchronous ArcadiaLedger interface. better-sqlite3 is synchronous, so each call
 * does its work at once and resolves: the only cost of the interface is a promise per call.
 *
 * An exclusive section is one IMMEDIATE transaction across awaits, so every other call of this process waits for
 * its end (the `gate`): better-sqlite3 has one connection, and a concurrent saga's write would otherwise become a
 * savepoint of the section, durable only when the section commits and undone if it rolls back.
 */
export class SqliteSagaLedger implements ArcadiaLedger {
  private readonly core: SqliteLedgerCore;
  /** Set while an exclusive section runs; resolves when it has committed or rolled back. */
  private gate: Promise<void> | undefined;
  private readonly outside: SagaLedger;
  /** The ledger an exclusive section's work uses: inside the transaction, so it never waits for the gate. */
  private readonly inside: SagaLedger;

  constructor(sqlite: Database.Database, path: string, busyTimeoutMs: number) {
    this.core = new SqliteLedgerCore(sqlite, path, busyTimeoutMs);
    this.outside = sagaLedgerOver(this.core, () => this.gateWait());
    this.inside = sagaLedgerOver(this.core, () => undefined);
  }

  private async waitForGate(): Promise<void> {
    while (this.gate) await this.gate;
  }

  /** What a call from outside an exclusive section waits for first; undefined (no wait at all) when none runs. */
  private gateWait(): Promise<void> | undefined {
    return this.gate ? this.waitForGate() : undefined;
  }

  async close(): Promise<void> {
    await this.waitForGate();
    this.core.close();
  }

  async snapshotDurations(dropletId: number, diskGigabytes?: number): Promise<number[]> {
    await this.waitForGate();
    return this.core.snapshotDurations(dropletId, diskGigabytes);
  }

  async monitoringFacts() {
    await this.waitForGate();
    return this.core.monitoringFacts();
  }

  async recordReconcileReport(at: number, scope: string, leakedSnapshotIds: string[]): Promise<void> {
    await this.waitForGate();
    this.core.recordReconcileReport(at, scope, leakedSnapshotIds);
  }

  async findSagasByIdPrefix(prefix: string) {
    await this.waitForGate();
    return this.core.findSagasByIdPrefix(prefix);
  }

  async exclusive<T>(work: (ledger: SagaLedger) => Promise<T>): Promise<T> {
    // Checked and taken with no await between: two sections started together must not both find the gate open.
    while (this.gate) await this.gate;
    let open!: () => void;
    this.gate = new Promise((resolve) => (open = resolve));
    try {
      this.core.beginExclusive();
      let result: T;
      try {
        result = await work(this.inside);
      } catch (error) {
        this.core.endExclusive(false);
        throw error;
      }
      this.core.endExclusive(true);
      return result;
    } finally {
      this.gate = undefined;
      open();
    }
  }

  createSaga: SagaLedger['createSaga'] = (saga, at) => this.outside.createSaga(saga, at);
  getSaga: SagaLedger['getSaga'] = (id) => this.outside.getSaga(id);
  resolveSagaId: SagaLedger['resolveSagaId'] = (ref) => this.outside.resolveSagaId(ref);
  listSagas: SagaLedger['listSagas'] = (filter) => this.outside.listSagas(filter);
  listEvents: SagaLedger['listEvents'] = (sagaId) => this.outside.listEvents(sagaId);
  listUnfinishedSagaIds: SagaLedger['listUnfinishedSagaIds'] = (filter) => this.outside.listUnfinishedSagaIds(filter);
  claimLease: SagaLedger['claimLease'] = (sagaId, expected, newEpoch, owner) =>
    this.outside.claimLease(sagaId, expected, newEpoch, owner);
  currentEpoch: SagaLedger['currentEpoch'] = (sagaId) => this.outside.currentEpoch(sagaId);
  releaseLease: SagaLedger['releaseLease'] = (sagaId, epoch, at) => this.outside.releaseLease(sagaId, epoch, at);
  apply: SagaLedger['apply'] = (sagaId, epoch, transitions, at) => this.outside.apply(sagaId, epoch, transitions, at);
  requestCancel: SagaLedger['requestCancel'] = (sagaId, at) => this.outside.requestCancel(sagaId, at);
  isCancelRequested: SagaLedger['isCancelRequested'] = (sagaId) => this.outside.isCancelRequested(sagaId);
}
