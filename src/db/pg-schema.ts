import { bigint, customType, index, integer, pgTable, primaryKey, text } from 'drizzle-orm/pg-core';

/**
 * The PostgreSQL twin of schema.ts (SQLite): the same tables, columns and indexes, which
 * test/db/schema-parity.test.ts proves. Times are milliseconds since the epoch, so bigint where SQLite's integer
 * is 64-bit anyway. JSON columns are jsonb (the JSON operators of pg-facts.ts, `||` merges of the context) but
 * handed around as JSON text, as SQLite's are, so both backends decode rows with the same code (row-decoding.ts).
 */
const jsonText = customType<{ data: string; driverData: unknown }>({
  dataType: () => 'jsonb',
  // The driver always parses jsonb (drizzle's queries use its global parsers), so the text is rebuilt here.
  fromDriver: (value) => JSON.stringify(value),
  toDriver: (value) => value,
});

const millis = (name: string) => bigint(name, { mode: 'number' });

export const sagaRuns = pgTable(
  'saga_runs',
  {
    id: text('id').primaryKey(),
    kind: text('kind').notNull(),
    status: text('status').notNull(),
    stepNames: jsonText('step_names').notNull(),
    context: jsonText('context').notNull(),
    triggeredBy: text('triggered_by').notNull(),
    deploymentId: text('deployment_id'),
    batchId: text('batch_id'),
    createdAt: millis('created_at').notNull(),
    updatedAt: millis('updated_at').notNull(),
    leaseEpoch: integer('lease_epoch').notNull().default(0),
    ownerPid: integer('owner_pid'),
    ownerHost: text('owner_host'),
    ownerStartedAt: millis('owner_started_at'),
    ownerAcquiredAt: millis('owner_acquired_at'),
    ownerHeartbeatAt: millis('owner_heartbeat_at'),
    recoveryAttempts: integer('recovery_attempts').notNull().default(0),
    cancelRequestedAt: millis('cancel_requested_at'),
    error: text('error'),
  },
  (t) => [
    index('saga_runs_created_at').on(t.createdAt),
    index('saga_runs_status_created_at').on(t.status, t.createdAt),
    index('saga_runs_kind_created_at').on(t.kind, t.createdAt),
    index('saga_runs_deployment').on(t.deploymentId),
    index('saga_runs_batch').on(t.batchId),
  ],
);

export const sagaStepResults = pgTable(
  'saga_step_results',
  {
    sagaId: text('saga_id')
      .notNull()
      .references(() => sagaRuns.id),
    idx: integer('idx').notNull(),
    name: text('name').notNull(),
    status: text('status').notNull(),
    attempts: integer('attempts').notNull().default(0),
    startedAt: millis('started_at'),
    finishedAt: millis('finished_at'),
    compensatedAt: millis('compensated_at'),
    error: text('error'),
  },
  (t) => [primaryKey({ columns: [t.sagaId, t.idx] })],
);

/** Ids by default from the identity, but explicit ones are accepted: `ledger copy` keeps SQLite's event ids. */
export const sagaEvents = pgTable(
  'saga_events',
  {
    id: integer('id').primaryKey().generatedByDefaultAsIdentity(),
    sagaId: text('saga_id')
      .notNull()
      .references(() => sagaRuns.id),
    at: millis('at').notNull(),
    stepIdx: integer('step_idx'),
    stepName: text('step_name'),
    fromStatus: text('from_status'),
    toStatus: text('to_status').notNull(),
    detail: text('detail'),
    epoch: integer('epoch').notNull(),
  },
  (t) => [index('saga_events_saga').on(t.sagaId, t.id)],
);

export const reconcileReports = pgTable('reconcile_reports', {
  id: integer('id').primaryKey().generatedByDefaultAsIdentity(),
  at: millis('at').notNull(),
  scope: text('scope').notNull(),
  leakedSnapshotIds: jsonText('leaked_snapshot_ids').notNull(),
});

export const batchHolds = pgTable('batch_holds', {
  batchId: text('batch_id').primaryKey(),
  ownerPid: integer('owner_pid').notNull(),
  ownerHost: text('owner_host').notNull(),
  ownerStartedAt: millis('owner_started_at'),
  acquiredAt: millis('acquired_at').notNull(),
  heartbeatAt: millis('heartbeat_at').notNull(),
});
