import type { RetentionPreview } from '../../../output/views/snapshot-view.js';
import { applyRetentionPolicy } from '../../../sagas/snapshot/retention.js';
import type { RetentionPolicy } from '../../../sagas/snapshot/retention-policy.js';
import { isOwnVolumeSnapshot, volumeSnapshotName } from '../../../sagas/snapshot/volume-naming.js';
import type { RetentionPreviewSnapshot } from '../../../output/views/snapshot-view.js';
import type { App } from '../../app.js';
import { selectDroplets } from './selection.js';

/** Stands for the snapshot this run would take: never a real id, never an arcadia name of a real saga. */
const UPCOMING_ID = 'upcoming';
const UPCOMING_NAME_HEX = '00000000';

interface Listed {
  id: string;
  name: string;
  createdAt: string;
  type?: string;
}

/** The policy over listed snapshots plus the one this run would take, which is the newest and fills today's buckets. */
function decide(
  app: App,
  dropletId: number,
  policy: RetentionPolicy,
  listed: Listed[],
  upcomingName: string,
  isOwn?: (s: { name: string }) => boolean,
): RetentionPreviewSnapshot[] {
  const times = listed.map((s) => Date.parse(s.createdAt)).filter(Number.isFinite);
  const upcoming = {
    id: UPCOMING_ID,
    name: upcomingName,
    // Whole seconds, as DigitalOcean gives them.
    createdAt: new Date(Math.max(app.clock.now(), ...times)).toISOString().replace(/\.\d{3}Z$/, 'Z'),
  };
  const snapshots = [...listed, upcoming];
  const decisions = applyRetentionPolicy({ snapshots, dropletId, policy, newSnapshotId: UPCOMING_ID, isOwn });
  return decisions.map((d) => ({
    id: d.id === UPCOMING_ID ? null : d.id,
    name: d.id === UPCOMING_ID ? null : d.name,
    createdAt: d.createdAt,
    action: d.action,
    reasons: d.reasons,
  }));
}

/**
 * `--keep-* --dry-run`: what retention would keep and delete, and why, after one more snapshot per droplet, taken
 * now; changes nothing.
 */
export async function previewRetention(
  app: App,
  ids: number[],
  tag: string | undefined,
  policy: RetentionPolicy,
  withVolumes = false,
): Promise<RetentionPreview[]> {
  const client = app.api();
  const preview: RetentionPreview[] = [];
  for (const { id: dropletId, volumeIds } of await selectDroplets(client, ids, tag)) {
    const listed = (await client.listDropletSnapshots(dropletId)).map((s) => ({
      id: String(s.id),
      name: s.name,
      createdAt: s.created_at,
      type: s.type,
    }));
    const snapshots = decide(app, dropletId, policy, listed, `arcadia-snap-${dropletId}-${UPCOMING_NAME_HEX}`);
    // With --with-volumes the same policy runs over each attached volume's own arcadia snapshots (the prune step).
    for (const volumeId of withVolumes ? volumeIds : []) {
      const ofVolume = (await client.listVolumeSnapshots(volumeId)).map((s) => ({
        id: s.id,
        name: s.name,
        createdAt: s.created_at,
      }));
      const isOwn = (s: { name: string }): boolean => isOwnVolumeSnapshot(s.name, dropletId, volumeId);
      const upcomingName = volumeSnapshotName(dropletId, UPCOMING_NAME_HEX, volumeId);
      for (const decided of decide(app, dropletId, policy, ofVolume, upcomingName, isOwn)) {
        snapshots.push({ volumeId, ...decided });
      }
    }
    preview.push({ dropletId, snapshots });
  }
  return preview;
}
