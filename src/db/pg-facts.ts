import { sql } from 'drizzle-orm';
import type { NodePgDatabase } from 'drizzle-orm/node-postgres';
import { jsonIds, succeededSnapshotOf, type MonitoringFacts, type SucceededRow } from './monitoring-facts.js';
import { reconcileReports, sagaRuns } from './pg-schema.js';
import { SEARCH_WINDOW, SIMILAR_DISK } from './snapshot-history.js';

/**
 * The PostgreSQL twins of monitoring-facts.ts and snapshot-history.ts, with jsonb operators in place of SQLite's
 * json_extract. The context column is jsonb, so a damaged context cannot exist here; values of the wrong JSON
 * type still read as null instead of failing the query (casts only under a jsonb_typeof check).
 */
type Db = Pick<NodePgDatabase<Record<string, unknown>>, 'execute'>;

/** A number stored at `path` in the context, else NULL (never a cast error). */
const numberAt = (...path: string[]) => {
  const value = sql.raw(`context #> '{${path.join(',')}}'`);
  return sql`CASE WHEN jsonb_typeof(${value}) = 'number' THEN (${value})::text::float8 END`;
};

export async function pgSnapshotDurations(
  db: Db,
  dropletId: number,
  diskGigabytes?: number,
  limit = 5,
): Promise<number[]> {
  const recent = sql`
    SELECT ${sagaRuns.context} AS context, ${sagaRuns.createdAt} AS created_at FROM ${sagaRuns}
    WHERE ${sagaRuns.status} = 'succeeded' ORDER BY ${sagaRuns.createdAt} DESC LIMIT ${SEARCH_WINDOW}`;
  const own = await db.execute<{ ms: number }>(sql`
    SELECT ms FROM (SELECT ${numberAt('snapshot_action_ms')} AS ms, created_at FROM (${recent}) AS r
      WHERE context #> '{__inputs__,droplet_provider_id}' = ${JSON.stringify(dropletId)}::jsonb) AS d
    WHERE ms IS NOT NULL ORDER BY created_at DESC LIMIT ${limit}`);
  if (own.rows.length > 0 || diskGigabytes === undefined || !(diskGigabytes > 0)) {
    return own.rows.map((r) => Number(r.ms));
  }
  const similar = await db.execute<{ ms: number }>(sql`
    SELECT ms FROM (SELECT ${numberAt('snapshot_action_ms')} AS ms, created_at FROM (${recent}) AS r
      WHERE ${numberAt('__inputs__', 'disk_gigabytes')}
        BETWEEN ${diskGigabytes / SIMILAR_DISK} AND ${diskGigabytes * SIMILAR_DISK}) AS d
    WHERE ms IS NOT NULL ORDER BY created_at DESC LIMIT ${limit}`);
  return similar.rows.map((r) => Number(r.ms));
}

export async function pgMonitoringFacts(db: Db): Promise<MonitoringFacts> {
  const rows = await db.execute<SucceededRow>(sql`
    SELECT ${sagaRuns.id} AS id, ${sagaRuns.updatedAt} AS updated_at,
      ${sagaRuns.context} #> '{__inputs__,droplet_provider_id}' AS droplet_id,
      ${sagaRuns.context} #> '{__inputs__,droplet_name}' AS droplet_name,
      ${sagaRuns.context} -> 'snapshot_id' AS snapshot_id,
      ${sagaRuns.context} -> 'snapshot_size_gigabytes' AS size
    FROM ${sagaRuns}
    WHERE ${sagaRuns.kind} = 'snapshot' AND ${sagaRuns.status} = 'succeeded'
    ORDER BY ${sagaRuns.updatedAt} DESC, ${sagaRuns.id} COLLATE "C" DESC`);
  // bigint arrives as text from the driver.
  const succeeded = rows.rows.flatMap((row) => succeededSnapshotOf({ ...row, updated_at: Number(row.updated_at) }));
  const deleted = await db.execute<{ ids: unknown }>(sql`
    SELECT ${sagaRuns.context} -> 'pruned_snapshot_ids' AS ids FROM ${sagaRuns} WHERE ${sagaRuns.kind} = 'snapshot'
    UNION ALL
    SELECT ${sagaRuns.context} -> 'deleted_snapshot_ids' AS ids FROM ${sagaRuns} WHERE ${sagaRuns.kind} = 'reconcile'`);
  const deletedSnapshotIds = new Set(deleted.rows.flatMap((row) => jsonIds(row.ids)));
  const report = await db.execute<{ ids: unknown }>(sql`
    SELECT ${reconcileReports.leakedSnapshotIds} AS ids FROM ${reconcileReports}
    ORDER BY ${reconcileReports.at} DESC, ${reconcileReports.id} DESC LIMIT 1`);
  const [last] = report.rows;
  const leakedSnapshots = last ? jsonIds(last.ids).filter((id) => !deletedSnapshotIds.has(id)).length : null;
  return { succeeded, deletedSnapshotIds, leakedSnapshots };
}
