import { sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/better-sqlite3';
import type Database from 'better-sqlite3';
import { reconcileReports, sagaRuns } from './schema.js';

/** A succeeded snapshot saga as monitoring reads it; fields a saga lacks (older versions, damage) are null. */
export interface SucceededSnapshot {
  sagaId: string;
  dropletId: number;
  /** Recorded as an input since monitoring came; "" for older sagas. */
  dropletName: string;
  snapshotId: string | null;
  sizeGigabytes: number | null;
  finishedAt: number;
}

/** What the ledger says about arcadia's snapshots: the source of the metrics file and of `arcadia check`. */
export interface MonitoringFacts {
  /** Newest first. */
  succeeded: SucceededSnapshot[];
  /** Snapshot ids retention or a reconcile deleted. */
  deletedSnapshotIds: Set<string>;
  /** Leaks the newest reconcile found that are not deleted since, or null when no reconcile ever ran here. */
  leakedSnapshots: number | null;
}

/** One succeeded snapshot saga's fields as either backend's JSON operators return them. */
export type SucceededRow = {
  id: string;
  droplet_id: unknown;
  droplet_name: unknown;
  snapshot_id: unknown;
  size: unknown;
  updated_at: number;
};

/** Ids from a JSON array: SQLite's json_extract gives its text, PostgreSQL's jsonb the array itself. */
export function jsonIds(value: unknown): string[] {
  if (Array.isArray(value)) return value.map(String);
  if (typeof value !== 'string') return [];
  try {
    const parsed: unknown = JSON.parse(value);
    return Array.isArray(parsed) ? parsed.map(String) : [];
  } catch {
    return [];
  }
}

export function succeededSnapshotOf(row: SucceededRow): SucceededSnapshot[] {
  if (typeof row.droplet_id !== 'number' || !Number.isSafeInteger(row.droplet_id)) return [];
  const snapshotId = row.snapshot_id;
  return [
    {
      sagaId: row.id,
      dropletId: row.droplet_id,
      dropletName: typeof row.droplet_name === 'string' ? row.droplet_name : '',
      snapshotId: typeof snapshotId === 'string' || typeof snapshotId === 'number' ? String(snapshotId) : null,
      sizeGigabytes: typeof row.size === 'number' ? row.size : null,
      finishedAt: row.updated_at,
    },
  ];
}

/**
 * Read in a few queries over JSON fields of the contexts: a damaged context yields nulls here, never an error, so a
 * monitoring read never fails on one bad row.
 */
export function monitoringFacts(sqlite: Database.Database): MonitoringFacts {
  const db = drizzle(sqlite);
  const rows = db.all<SucceededRow>(sql`
    SELECT ${sagaRuns.id} AS id, ${sagaRuns.updatedAt} AS updated_at,
      json_extract(${sagaRuns.context}, '$.__inputs__.droplet_provider_id') AS droplet_id,
      json_extract(${sagaRuns.context}, '$.__inputs__.droplet_name') AS droplet_name,
      json_extract(${sagaRuns.context}, '$.snapshot_id') AS snapshot_id,
      json_extract(${sagaRuns.context}, '$.snapshot_size_gigabytes') AS size
    FROM ${sagaRuns}
    WHERE ${sagaRuns.kind} = 'snapshot' AND ${sagaRuns.status} = 'succeeded' AND json_valid(${sagaRuns.context})
    ORDER BY ${sagaRuns.updatedAt} DESC, ${sagaRuns.id} DESC`);
  const succeeded = rows.flatMap(succeededSnapshotOf);
  const deleted = db.all<{ ids: unknown }>(sql`
    SELECT json_extract(${sagaRuns.context}, '$.pruned_snapshot_ids') AS ids FROM ${sagaRuns}
    WHERE ${sagaRuns.kind} = 'snapshot' AND json_valid(${sagaRuns.context})
    UNION ALL
    SELECT json_extract(${sagaRuns.context}, '$.deleted_snapshot_ids') AS ids FROM ${sagaRuns}
    WHERE ${sagaRuns.kind} = 'reconcile' AND json_valid(${sagaRuns.context})`);
  const deletedSnapshotIds = new Set(deleted.flatMap((row) => jsonIds(row.ids)));
  // The newest reconcile's findings, less what a deletion (its own --delete saga, or a later one) removed since.
  const [report] = db.all<{ ids: unknown }>(sql`
    SELECT ${reconcileReports.leakedSnapshotIds} AS ids FROM ${reconcileReports}
    ORDER BY ${reconcileReports.at} DESC, ${reconcileReports.id} DESC LIMIT 1`);
  const leakedSnapshots = report ? jsonIds(report.ids).filter((id) => !deletedSnapshotIds.has(id)).length : null;
  return { succeeded, deletedSnapshotIds, leakedSnapshots };
}
