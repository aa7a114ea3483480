import { sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/better-sqlite3';
import type Database from 'better-sqlite3';
import { sagaRuns } from './schema.js';

/** Only the newest succeeded sagas are searched: history is a hint, and the ledger may hold a hundred thousand. */
const SEARCH_WINDOW = 2000;

/**
 * How long the last snapshots of a droplet took (ms, newest first), read from succeeded sagas' contexts.
 * The snapshot step waits most of that before its first poll, so a snapshot costs a handful of requests.
 */
export function snapshotDurations(sqlite: Database.Database, dropletId: number, limit = 5): number[] {
  const rows = drizzle(sqlite).all<{ ms: number }>(sql`
    SELECT json_extract(context, '$.snapshot_action_ms') AS ms FROM (
      SELECT ${sagaRuns.context} AS context, ${sagaRuns.createdAt} AS created_at FROM ${sagaRuns}
      WHERE ${sagaRuns.status} = 'succeeded' ORDER BY ${sagaRuns.createdAt} DESC LIMIT ${SEARCH_WINDOW}
    )
    WHERE json_extract(context, '$.__inputs__.droplet_provider_id') = ${dropletId} AND ms IS NOT NULL
    ORDER BY created_at DESC LIMIT ${limit}`);
  return rows.map((r) => Number(r.ms));
}
