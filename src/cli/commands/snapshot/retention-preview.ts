import type { RetentionPreview } from '../../../output/views/snapshot-view.js';
import { snapshotsToPrune } from '../../../sagas/snapshot/retention.js';
import type { App } from '../../app.js';
import { selectDroplets } from './selection.js';

/** `--keep n --dry-run`: what retention would delete after one more snapshot per droplet; changes nothing. */
export async function previewRetention(
  app: App,
  ids: number[],
  tag: string | undefined,
  keep: number,
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
    // The snapshot this run would take counts as the newest: it is not in the listing yet.
    const doomed = snapshotsToPrune(listed, dropletId, keep, 'the-new-snapshot');
    preview.push({ dropletId, wouldDelete: doomed.map((d) => ({ id: d.id, name: d.name, createdAt: d.createdAt })) });
  }
  return preview;
}
