import { sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/better-sqlite3';
import type Database from 'better-sqlite3';
import { sagaRuns } from './schema.js';

/** Only the newest succeeded sagas are searched: history is a hint, and the ledger may hold a hundred thousand. */
export const SEARCH_WINDOW = 2000;

/** A droplet's disk within this factor of another's counts as similar: snapshot time follows the data on it. */
export const SIMILAR_DISK = 1.25;

/**
 * How long the last snapshots of a droplet took (ms, newest first), read from succeeded sagas' contexts; for a
 * droplet with none yet, those of droplets whose disk is of a similar size (when it is known). The snapshot step
 * waits most of that before its first poll, so a snapshot costs a handful of requests.
 */
export function snapshotDurations(
  sqlite: Database.Database,
  dropletId: number,
  diskGigabytes?: number,
  limit = 5,
): number[] {
  const recent = sql`
    SELECT ${sagaRuns.context} AS context, ${sagaRuns.createdAt} AS created_at FROM ${sagaRuns}
    WHERE ${sagaRuns.status} = 'succeeded' ORDER BY ${sagaRuns.createdAt} DESC LIMIT ${SEARCH_WINDOW}`;
  const db = drizzle(sqlite);
  const own = db.all<{ ms: number }>(sql`
    SELECT json_extract(context, '$.snapshot_action_ms') AS ms FROM (${recent})
    WHERE json_extract(context, '$.__inputs__.droplet_provider_id') = ${dropletId} AND ms IS NOT NULL
    ORDER BY created_at DESC LIMIT ${limit}`);
  if (own.length > 0 || diskGigabytes === undefined || !(diskGigabytes > 0)) return own.map((r) => Number(r.ms));
  const similar = db.all<{ ms: number }>(sql`
    SELECT json_extract(context, '$.snapshot_action_ms') AS ms FROM (${recent})
    WHERE json_extract(context, '$.__inputs__.disk_gigabytes')
      BETWEEN ${diskGigabytes / SIMILAR_DISK} AND ${diskGigabytes * SIMILAR_DISK}
      AND ms IS NOT NULL
    ORDER BY created_at DESC LIMIT ${limit}`);
  return similar.map((r) => Number(r.ms));
}
