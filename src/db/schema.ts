import { index, integer, primaryKey, sqliteTable, text } from 'drizzle-orm/sqlite-core';

/** One row per saga. Times are milliseconds since the epoch. */
export const sagaRuns = sqliteTable(
  'saga_runs',
  {
    id: text('id').primaryKey(),
    kind: text('kind').notNull(),
    status: text('status').notNull(),
    /** JSON array of the step names the saga was created with. */
    stepNames: text('step_names').notNull(),
    /** JSON object: inputs under `__inputs__`, then every step output and checkpoint. */
    context: text('context').notNull(),
    triggeredBy: text('triggered_by').notNull(),
    deploymentId: text('deployment_id'),
    batchId: text('batch_id'),
    createdAt: integer('created_at').notNull(),
    updatedAt: integer('updated_at').notNull(),
    /** Incremented by every executor that takes the saga; every write checks it (fencing). */
    leaseEpoch: integer('lease_epoch').notNull().default(0),
    ownerPid: integer('owner_pid'),
    ownerHost: text('owner_host'),
    ownerStartedAt: integer('owner_started_at'),
    ownerAcquiredAt: integer('owner_acquired_at'),
    /** The owner's last heartbeat (database-held leases, PostgreSQL); lock files carry it on SQLite. */
    ownerHeartbeatAt: integer('owner_heartbeat_at'),
    recoveryAttempts: integer('recovery_attempts').notNull().default(0),
    cancelRequestedAt: integer('cancel_requested_at'),
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

/** One row per saga and step index. */
export const sagaStepResults = sqliteTable(
  'saga_step_results',
  {
    sagaId: text('saga_id')
      .notNull()
      .references(() => sagaRuns.id),
    idx: integer('idx').notNull(),
    name: text('name').notNull(),
    status: text('status').notNull(),
    attempts: integer('attempts').notNull().default(0),
    startedAt: integer('started_at'),
    finishedAt: integer('finished_at'),
    compensatedAt: integer('compensated_at'),
    error: text('error'),
  },
  (t) => [primaryKey({ columns: [t.sagaId, t.idx] })],
);

/** Append-only history: what `saga show` tells. */
export const sagaEvents = sqliteTable(
  'saga_events',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    sagaId: text('saga_id')
      .notNull()
      .references(() => sagaRuns.id),
    at: integer('at').notNull(),
    stepIdx: integer('step_idx'),
    stepName: text('step_name'),
    fromStatus: text('from_status'),
    toStatus: text('to_status').notNull(),
    detail: text('detail'),
    epoch: integer('epoch').notNull(),
  },
  (t) => [index('saga_events_saga').on(t.sagaId, t.id)],
);

/**
 * What each `reconcile` found: the leaked snapshot ids (JSON array), whether or not it deleted them. The metrics file
 * reports the newest report's leaks that no later deletion removed, so a plain `reconcile` counts too.
 */
export const reconcileReports = sqliteTable('reconcile_reports', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  at: integer('at').notNull(),
  /** The droplets it looked at: `tag:<tag>`, `droplets:<id,...>`, or `all`. */
  scope: text('scope').notNull(),
  leakedSnapshotIds: text('leaked_snapshot_ids').notNull(),
});

/**
 * A batch process's hold on the sagas it created but has not started (database-held leases, PostgreSQL; a lock
 * file on SQLite): while its heartbeat is fresh, those pending sagas are not orphans.
 */
export const batchHolds = sqliteTable('batch_holds', {
  batchId: text('batch_id').primaryKey(),
  ownerPid: integer('owner_pid').notNull(),
  ownerHost: text('owner_host').notNull(),
  ownerStartedAt: integer('owner_started_at'),
  acquiredAt: integer('acquired_at').notNull(),
  heartbeatAt: integer('heartbeat_at').notNull(),
});
