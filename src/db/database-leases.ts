import { and, eq, sql } from 'drizzle-orm';
import { SagaNotFoundError, SagaOwnedError } from '../engine/errors.js';
import type { BatchHold, SagaLease, SagaLeases } from '../engine/lease.js';
import type { ProcessIdentity } from '../engine/process-identity.js';
import { takeoverReason, type TakeoverRules } from '../engine/takeover.js';
import type { SagaOwner } from '../engine/types.js';
import type { PgLedgerTransaction, PgSagaLedger } from './pg-ledger.js';
import { batchHolds, sagaRuns } from './pg-schema.js';

export interface DatabaseLeaseOptions {
  staleMs: number;
  /** How often a batch hold is renewed (a saga's lease is renewed by the runner's heartbeat). */
  heartbeatMs: number;
  identity: ProcessIdentity;
  processState?: TakeoverRules['processState'];
}

/**
 * The database's clock in milliseconds: every host stamps and judges heartbeats by the same clock, so a host whose
 * own clock runs ahead never sees a live owner elsewhere as stale.
 */
const databaseNow = sql<number>`floor(extract(epoch from clock_timestamp()) * 1000)::bigint`.mapWith(Number);

async function nowIn(tx: PgLedgerTransaction): Promise<number> {
  // float8: the driver hands bigint over as text.
  const result = await tx.execute<{ now: number }>(
    sql`SELECT floor(extract(epoch from clock_timestamp()) * 1000)::float8 AS now`,
  );
  const now = result.rows[0]?.now;
  if (typeof now !== 'number') throw new Error('the database did not tell its time');
  return now;
}

const ownerColumns = {
  pid: sagaRuns.ownerPid,
  host: sagaRuns.ownerHost,
  processStartedAt: sagaRuns.ownerStartedAt,
  acquiredAt: sagaRuns.ownerAcquiredAt,
  heartbeatAt: sagaRuns.ownerHeartbeatAt,
};

type OwnerRow = { [K in keyof typeof ownerColumns]: (typeof ownerColumns)[K]['_']['data'] | null };

function holderOf(row: OwnerRow): (SagaOwner & { heartbeatAt: number }) | undefined {
  if (row.pid === null || row.host === null) return undefined;
  const acquiredAt = row.acquiredAt ?? 0;
  return {
    pid: row.pid,
    host: row.host,
    processStartedAt: row.processStartedAt,
    acquiredAt,
    heartbeatAt: row.heartbeatAt ?? acquiredAt,
  };
}

const ownerOnly = ({ pid, host, processStartedAt, acquiredAt }: SagaOwner): SagaOwner => ({
  pid,
  host,
  processStartedAt,
  acquiredAt,
});

/**
 * Ownership held in the PostgreSQL ledger itself, for several hosts sharing it (ARCHITECTURE.md, "Ownership across
 * hosts"). A saga's lease is its row's owner columns, heartbeat and epoch: taken in one transaction that locks the
 * row (SELECT ... FOR UPDATE), decides by `takeoverReason` against the database's clock, and bumps the epoch, so of
 * several hosts that see the same stale owner exactly one wins and every write of the loser is fenced. A batch's
 * hold is a `batch_holds` row renewed every heartbeat.
 */
export class DatabaseLeases implements SagaLeases {
  private readonly rules: TakeoverRules;

  constructor(
    private readonly ledger: PgSagaLedger,
    private readonly options: DatabaseLeaseOptions,
  ) {
    this.rules = {
      staleMs: options.staleMs,
      hostId: options.identity.host,
      ...(options.processState ? { processState: options.processState } : {}),
    };
  }

  async acquire(sagaId: string): Promise<SagaLease> {
    const { pid, host, startedAt } = this.options.identity;
    const taken = await this.ledger.transaction(async (tx) => {
      const [row] = await tx
        .select({ ...ownerColumns, epoch: sagaRuns.leaseEpoch })
        .from(sagaRuns)
        .where(eq(sagaRuns.id, sagaId))
        .for('update');
      if (!row) throw new SagaNotFoundError(sagaId);
      const now = await nowIn(tx);
      const holder = holderOf(row);
      const reason = holder ? takeoverReason(holder, now, this.rules) : null;
      if (holder && reason === null) throw new SagaOwnedError(sagaId, ownerOnly(holder));
      const epoch = row.epoch + 1;
      await tx
        .update(sagaRuns)
        .set({
          leaseEpoch: epoch,
          ownerPid: pid,
          ownerHost: host,
          ownerStartedAt: startedAt,
          ownerAcquiredAt: now,
          ownerHeartbeatAt: now,
        })
        .where(eq(sagaRuns.id, sagaId));
      return { epoch, now, reason };
    });
    const owner: SagaOwner = { pid, host, processStartedAt: startedAt, acquiredAt: taken.now };
    const mine = and(
      eq(sagaRuns.id, sagaId),
      eq(sagaRuns.leaseEpoch, taken.epoch),
      eq(sagaRuns.ownerPid, pid),
      eq(sagaRuns.ownerHost, host),
    );
    return {
      sagaId,
      epoch: taken.epoch,
      owner,
      takeoverReason: taken.reason,
      beat: async () => {
        const updated = await this.ledger.transaction((tx) =>
          tx.update(sagaRuns).set({ ownerHeartbeatAt: databaseNow }).where(mine).returning({ id: sagaRuns.id }),
        );
        return updated.length === 1;
      },
      release: async () => {
        // Usually a no-op: the runner lets go of the owner columns in its last, fenced transaction.
        await this.ledger.transaction((tx) =>
          tx
            .update(sagaRuns)
            .set({
              ownerPid: null,
              ownerHost: null,
              ownerStartedAt: null,
              ownerAcquiredAt: null,
              ownerHeartbeatAt: null,
            })
            .where(mine),
        );
      },
    };
  }

  async liveOwner(sagaId: string): Promise<SagaOwner | undefined> {
    return this.ledger.transaction(async (tx) => {
      const [row] = await tx.select(ownerColumns).from(sagaRuns).where(eq(sagaRuns.id, sagaId));
      const holder = row ? holderOf(row) : undefined;
      if (!holder) return undefined;
      return takeoverReason(holder, await nowIn(tx), this.rules) === null ? ownerOnly(holder) : undefined;
    });
  }

  async holdBatch(batchId: string): Promise<BatchHold> {
    const { pid, host, startedAt } = this.options.identity;
    const values = {
      batchId,
      ownerPid: pid,
      ownerHost: host,
      ownerStartedAt: startedAt,
      acquiredAt: databaseNow,
      heartbeatAt: databaseNow,
    };
    await this.ledger.transaction((tx) =>
      tx.insert(batchHolds).values(values).onConflictDoUpdate({ target: batchHolds.batchId, set: values }),
    );
    const mine = and(eq(batchHolds.batchId, batchId), eq(batchHolds.ownerPid, pid), eq(batchHolds.ownerHost, host));
    const timer = setInterval(() => {
      this.ledger
        .transaction((tx) => tx.update(batchHolds).set({ heartbeatAt: databaseNow }).where(mine))
        .catch(() => undefined); // an unreachable database: the next beat tries again; the sagas are fenced anyway
    }, this.options.heartbeatMs);
    timer.unref();
    return {
      release: async () => {
        clearInterval(timer);
        await this.ledger.transaction((tx) => tx.delete(batchHolds).where(mine));
      },
    };
  }

  async batchHolder(batchId: string): Promise<SagaOwner | undefined> {
    return this.ledger.transaction(async (tx) => {
      const [row] = await tx.select().from(batchHolds).where(eq(batchHolds.batchId, batchId));
      if (!row) return undefined;
      const holder = {
        pid: row.ownerPid,
        host: row.ownerHost,
        processStartedAt: row.ownerStartedAt,
        acquiredAt: row.acquiredAt,
        heartbeatAt: row.heartbeatAt,
      };
      return takeoverReason(holder, await nowIn(tx), this.rules) === null ? ownerOnly(holder) : undefined;
    });
  }
}
