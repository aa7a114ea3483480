import type { RetentionPreview } from '../../../output/views/snapshot-view.js';
import { applyRetentionPolicy } from '../../../sagas/snapshot/retention.js';
import type { RetentionPolicy } from '../../../sagas/snapshot/retention-policy.js';
import type { App } from '../../app.js';
import { selectDroplets } from './selection.js';

/** Stands for the snapshot this run would take: never a real id, never an arcadia name of a real saga. */
const UPCOMING_ID = 'upcoming';
const UPCOMING_NAME_HEX = '00000000';

/**
 * `--keep-* --dry-run`: what retention would keep and delete, and why, after one more snapshot per droplet, taken
 * now; changes nothing.
 */
export async function previewRetention(
  app: App,
  ids: number[],
  tag: string | undefined,
  policy: RetentionPolicy,
): Promise<RetentionPreview[]> {
  const client = app.api();
  const preview: RetentionPreview[] = [];
  for (const { id: dropletId } of await selectDroplets(client, ids, tag)) {
    const listed = (await client.listDropletSnapshots(dropletId)).map((s) => ({
      id: String(s.id),
      name: s.name,
      createdAt: s.created_at,
      type: s.type,
    }));
    // The snapshot this run would take is the newest and fills today's buckets: it is not in the listing yet.
    const times = listed.map((s) => Date.parse(s.createdAt)).filter(Number.isFinite);
    const upcoming = {
      id: UPCOMING_ID,
      name: `arcadia-snap-${dropletId}-${UPCOMING_NAME_HEX}`,
      // Whole seconds, as DigitalOcean gives them.
      createdAt: new Date(Math.max(app.clock.now(), ...times)).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    };
    const decisions = applyRetentionPolicy({
      snapshots: [...listed, upcoming],
      dropletId,
      policy,
      newSnapshotId: UPCOMING_ID,
    });
    preview.push({
      dropletId,
      snapshots: decisions.map((d) => ({
        id: d.id === UPCOMING_ID ? null : d.id,
        name: d.id === UPCOMING_ID ? null : d.name,
        createdAt: d.createdAt,
        action: d.action,
        reasons: d.reasons,
      })),
    });
  }
  return preview;
}
